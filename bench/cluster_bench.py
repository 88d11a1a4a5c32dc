#!/usr/bin/env python3
"""Benchmark the cluster rows of the performance table, each against its
floor measured in the same run. Not a test: it prints a table with ratios
and writes bench/results-cluster-<image tag>.json. From the repository root
after `make prepare`:

    .venv/bin/python bench/cluster_bench.py [--image mqops/debian-systemd:13] [--repeat 3]

Rows (3 nodes, containers on this machine):

* cold converge: fresh containers to a formed, checked cluster with
  `ansible-playbook playbooks/server.yml` (preflight, server, cluster and
  definitions roles), against the floor: on three fresh containers, in
  parallel, `apt-get update && apt-get install rabbitmq-server` (the package
  starts the node) until each node answers `rabbitmq-diagnostics ping`;
* no-op re-run of the same playbook, against a playbook that only gathers
  minimal facts on the same three hosts (the cost of Ansible itself);
* rolling restart (`playbooks/rolling_restart.yml`, every guard), against
  the sum of plain restarts (`systemctl restart` + ping, node by node).

Short rows (no-op, minimal playbook, restarts) take the median of --repeat
runs; the cold rows run once (each needs fresh containers).
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import pathlib
import platform
import statistics
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
MINIMAL = """- name: Minimal facts
  hosts: rabbitmq
  gather_facts: true
  gather_subset: [min]
  tasks:
    - name: Nothing
      ansible.builtin.debug:
        msg: ok
"""


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
            state = subprocess.run(["docker", "exec", name, "systemctl", "is-system-running"],
                                   capture_output=True, text=True).stdout.strip()
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
        if subprocess.run(["docker", "exec", name, "rabbitmq-diagnostics", "-q", "ping"],
                          capture_output=True).returncode == 0:
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


def playbook(inventory, path, noop=False):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"), ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    start = time.monotonic()
    result = subprocess.run(["ansible-playbook", "-i", inventory, str(path)],
                            env=env, capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        sys.exit("%s failed:\n%s\n%s" % (path, result.stdout[-4000:], result.stderr[-2000:]))
    if noop:
        changed = sum(int(part.split("=")[1]) for line in result.stdout.splitlines() if "ok=" in line
                      for part in line.split() if part.startswith("changed="))
        if changed:
            sys.exit("the re-run of %s was not a no-op (changed=%d)" % (path.name, changed))
    return time.monotonic() - start


def median_of(repeat, func):
    return statistics.median(func() for _ in range(repeat))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", default=os.environ.get("MQOPS_IMAGE_DEBIAN13", "mqops/debian-systemd:13"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    floor_s = floor(args.image)
    names = start_containers("bench", args.image, "mqops-bench")
    server = ROOT / "playbooks" / "server.yml"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            inventory = write_inventory(tmp, names)
            minimal = pathlib.Path(tmp) / "minimal.yml"
            minimal.write_text(MINIMAL)
            converge_s = playbook(inventory, server)
            noop_s = median_of(args.repeat, lambda: playbook(inventory, server, noop=True))
            minimal_s = median_of(args.repeat, lambda: playbook(inventory, minimal))

            def plain_restarts():
                total = 0.0
                for name in names:
                    start = time.monotonic()
                    sh("docker", "exec", name, "systemctl", "restart", "rabbitmq-server")
                    wait_ping(name)
                    total += time.monotonic() - start
                return total

            plain_s = median_of(args.repeat, plain_restarts)
            rolling_s = median_of(args.repeat, lambda: playbook(inventory, ROOT / "playbooks" / "rolling_restart.yml"))
    finally:
        remove(names, "mqops-bench")

    rows = [
        ("floor: apt install + start, 3 nodes in parallel", floor_s, None),
        ("cold converge to a formed, checked 3-node cluster (playbooks/server.yml)", converge_s, converge_s / floor_s),
        ("minimal-facts playbook, 3 hosts (median of %d)" % args.repeat, minimal_s, None),
        ("no-op re-run of playbooks/server.yml (median of %d)" % args.repeat, noop_s, noop_s / minimal_s),
        ("sum of plain restarts, systemctl restart + ping (median of %d)" % args.repeat, plain_s, None),
        ("rolling restart with every guard (median of %d)" % args.repeat, rolling_s, rolling_s / plain_s),
    ]
    print("| measurement | seconds | ratio |")
    print("| --- | --- | --- |")
    for label, seconds, ratio in rows:
        print("| %s | %.1f | %s |" % (label, seconds, "%.2fx" % ratio if ratio else "1.00 (floor)"))
    result = dict(
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        machine="%s, %d CPUs, load average %.1f before / %.1f after" % (
            platform.platform(), os.cpu_count(), load_before, os.getloadavg()[0]),
        image=args.image,
        rows=[dict(label=label, seconds=round(seconds, 1), ratio=round(ratio, 2) if ratio else None)
              for label, seconds, ratio in rows],
    )
    tag = args.image.rsplit(":", 1)[-1]
    (ROOT / "bench" / ("results-cluster-%s.json" % tag)).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
