#!/usr/bin/env python3
"""Benchmark: cold converge of a 3-node cluster against the floor, and the
rolling restart against the sum of plain restarts. Not a test: it prints a
table with ratios. Run from the repository root after `make prepare`:

    .venv/bin/python bench/cluster_bench.py [--image mqops/debian-systemd:13]

Floor: on three fresh containers, in parallel, `apt-get update && apt-get
install rabbitmq-server` (the package starts the node) until each node
answers `rabbitmq-diagnostics ping`. Converge: on three fresh containers,
`ansible-playbook playbooks/server.yml` (server + cluster roles) from nothing
to a formed, checked cluster. Both in the same run, on the same machine.
"""

import argparse
import concurrent.futures
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
SYSTEMD_ARGS = [
    "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp", "--stop-signal", "SIGRTMIN+3",
]


def sh(*cmd, **kwargs):
    return subprocess.run(list(cmd), check=True, capture_output=True, text=True, **kwargs)


def start_containers(prefix, image, network):
    subprocess.run(["docker", "network", "create", network], capture_output=True)
    names = ["%s%d" % (prefix, i) for i in (1, 2, 3)]
    for name in names:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
        sh("docker", "run", "-d", "--name", name, "--hostname", name, "--network", network,
           "--network-alias", name, *SYSTEMD_ARGS, image, "/lib/systemd/systemd")
    for name in names:
        for _ in range(60):
            state = subprocess.run(["docker", "exec", name, "systemctl", "is-system-running"], capture_output=True, text=True).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)
    return names


def remove(names, network):
    for name in names:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    subprocess.run(["docker", "network", "rm", network], capture_output=True)


def wait_ping(name, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["docker", "exec", name, "rabbitmq-diagnostics", "-q", "ping"], capture_output=True).returncode == 0:
            return
        time.sleep(0.5)
    raise RuntimeError("%s did not answer ping" % name)


def floor(image):
    names = start_containers("floor", image, "mqops-bench-floor")
    try:
        start = time.monotonic()

        def install(name):
            sh("docker", "exec", "-e", "DEBIAN_FRONTEND=noninteractive", name, "sh", "-c",
               "apt-get update -qq && apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null")
            wait_ping(name)

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            list(pool.map(install, names))
        return time.monotonic() - start
    finally:
        remove(names, "mqops-bench-floor")


def write_inventory(directory, names):
    inventory = {
        "rabbitmq": {
            "hosts": {n: None for n in names},
            "vars": {
                "ansible_connection": "community.docker.docker",
                "ansible_python_interpreter": "/usr/bin/python3",
                "rabbitmq_server_admin_password": "bench-Admin-Pw-1",
                "rabbitmq_server_erlang_cookie": "BENCHCOOKIE0123456789ABCDEF",
                "rabbitmq_server_nofile_limit": 16384,
            },
        }
    }
    path = pathlib.Path(directory) / "inventory.json"
    path.write_text(json.dumps(inventory))
    return str(path)


def playbook(inventory, name):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"), ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    start = time.monotonic()
    result = subprocess.run(["ansible-playbook", "-i", inventory, str(ROOT / "playbooks" / name)],
                            env=env, capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        sys.exit("%s failed:\n%s\n%s" % (name, result.stdout[-4000:], result.stderr[-2000:]))
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", default=os.environ.get("MQOPS_IMAGE_DEBIAN13", "mqops/debian-systemd:13"))
    args = parser.parse_args()

    floor_s = floor(args.image)
    names = start_containers("bench", args.image, "mqops-bench")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            inventory = write_inventory(tmp, names)
            converge_s = playbook(inventory, "server.yml")
            rerun_s = playbook(inventory, "server.yml")

            plain = []
            for name in names:
                start = time.monotonic()
                sh("docker", "exec", name, "systemctl", "restart", "rabbitmq-server")
                wait_ping(name)
                plain.append(time.monotonic() - start)
            rolling_s = playbook(inventory, "rolling_restart.yml")
    finally:
        remove(names, "mqops-bench")

    print("| measurement | seconds | ratio |")
    print("| --- | --- | --- |")
    print("| floor: apt install + start, 3 nodes in parallel | %.1f | 1.00 |" % floor_s)
    print("| cold converge to a formed, checked 3-node cluster | %.1f | %.2f x floor |" % (converge_s, converge_s / floor_s))
    print("| no-op re-run of the converge | %.1f | %.2f x floor |" % (rerun_s, rerun_s / floor_s))
    print("| sum of plain restarts (systemctl restart + ping) | %.1f | 1.00 |" % sum(plain))
    print("| rolling restart (guards, drain, checks) | %.1f | %.2f x sum |" % (rolling_s, rolling_s / sum(plain)))


if __name__ == "__main__":
    main()
