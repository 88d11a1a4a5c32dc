"""A throw-away one-node broker in a local container, shared by bench/run.py
and bench/definitions_bench.py: start it from a systemd image, reset it to
one administrator between measurements, run shell commands in it."""

import subprocess
import sys
import time

ADMIN_PASSWORD = "bench-Admin-Pw-1"  # throw-away container


def sh(*command, check=True, quiet=True):
    result = subprocess.run(command, capture_output=quiet, text=True)
    if check and result.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(command), result.stdout or "", result.stderr or ""))
    return result


class Broker:
    def __init__(self, container):
        self.container = container

    def run(self, script, check=True):
        """``script`` in the container (bash -e)."""
        return sh("docker", "exec", self.container, "bash", "-ec", script, check=check)

    def start(self, image, packages=(), plugins=("rabbitmq_management",)):
        """A fresh container with rabbitmq-server (and ``packages``); returns RabbitMQ's version."""
        self.remove()
        sh(
            "docker", "run", "-d", "--name", self.container, "--hostname", self.container,
            "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN",
            "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
            "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
            "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp", "--stop-signal", "SIGRTMIN+3",
            image, "/lib/systemd/systemd",
        )
        for _ in range(60):
            if self.run("true", check=False).returncode == 0:
                break
            time.sleep(1)
        self.run("systemctl is-system-running --wait || true")
        self.run(
            "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; "
            "apt-get install -y -qq --no-install-recommends rabbitmq-server %s >/dev/null; "
            "rabbitmq-plugins enable %s >/dev/null" % (" ".join(packages), " ".join(plugins))
        )
        self.reset()
        return self.run("rabbitmqctl -q version").stdout.strip()

    def reset(self):
        """Empty broker with one administrator (admin / ADMIN_PASSWORD), API answering."""
        self.run(
            "rabbitmqctl -q stop_app; rabbitmqctl -q reset; rabbitmqctl -q start_app; "
            "rabbitmqctl -q await_startup; "
            "rabbitmqctl -q add_user admin '%s' >/dev/null; rabbitmqctl -q set_user_tags admin administrator >/dev/null; "
            "rabbitmqctl -q set_permissions -p / admin '.*' '.*' '.*' >/dev/null; "
            "for i in $(seq 1 30); do curl -sf -u admin:'%s' http://127.0.0.1:15672/api/overview >/dev/null && break; "
            "sleep 1; done" % (ADMIN_PASSWORD, ADMIN_PASSWORD)
        )

    def remove(self):
        sh("docker", "rm", "-f", self.container, check=False)
