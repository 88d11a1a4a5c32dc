"""Shared by the integration tests: a throw-away systemd container."""

import contextlib
import subprocess
import uuid


@contextlib.contextmanager
def systemd_container(prefix, image):
    """A Debian systemd container started the way the molecule scenarios start
    theirs (no --privileged); removed on exit. Yields its name."""
    name = "%s-%s" % (prefix, uuid.uuid4().hex[:8])
    subprocess.run(
        [
            "docker", "run", "-d", "--name", name, "--hostname", name,
            "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN",
            "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
            "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
            "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp", "--stop-signal", "SIGRTMIN+3",
            image, "/lib/systemd/systemd",
        ],
        check=True, capture_output=True,
    )
    try:
        yield name
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
