#!/usr/bin/env python3
"""Compare mqops.rabbitmq.rabbitmq_definitions with community.rabbitmq (one task per object).

    bench/run.py [--image mqops/debian-systemd:12] [--sizes 10,100,1000] [--community-max 100]

For each size N it declares N vhosts, N users (each with full permissions on
its vhost) and N policies on a fresh one-node broker in a local container,
twice with each tool: a first run (everything created) and a no-op re-run.
The broker is reset between tools. Wall times of whole ansible-playbook
runs; results are merged into bench/results-<rabbitmq version>.json (rows
of earlier runs for other sizes are kept) and printed as a Markdown table.
Not a test: nothing asserts on timings.

Needs Docker, the local systemd image and the Python environment of the
repository (ansible with community.rabbitmq and community.docker).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from broker import ADMIN_PASSWORD, Broker

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONTAINER = "mqops-bench"
BROKER = Broker(CONTAINER)


def objects(n):
    vhosts = [{"name": "bench-%04d" % i} for i in range(n)]
    users = [{"name": "user-%04d" % i, "password": "bench-user-pw-%04d" % i, "vhost": "bench-%04d" % i} for i in range(n)]
    return {
        "bench_admin_password": ADMIN_PASSWORD,
        "bench_vhosts": vhosts,
        "bench_users": users,
        "bench_definition_users": [{"name": u["name"], "password": u["password"], "tags": ["management"]}
                                   for u in users],
        "bench_permissions": [{"user": u["name"], "vhost": u["vhost"]} for u in users],
        "bench_policies": [{"name": "policy-%04d" % i, "vhost": "bench-%04d" % i, "pattern": "^q",
                            "definition": {"max-length": 1000 + i}} for i in range(n)],
    }


def playbook(name, inventory, extra_vars):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "collections"),
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    start = time.monotonic()
    result = subprocess.run(
        ["ansible-playbook", "-i", inventory, "-e", "@" + extra_vars, os.path.join(HERE, name)],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        print("%s failed after %.1f s:\n%s" % (name, elapsed, result.stdout[-1500:] + result.stderr[-1500:]),
              file=sys.stderr)
        return None, ["failed"]
    recap = [line for line in result.stdout.splitlines() if CONTAINER in line and "ok=" in line]
    return round(elapsed, 2), recap[-1].split(":", 1)[1].split() if recap else []


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default=os.environ.get("MQOPS_IMAGE_DEBIAN12", "mqops/debian-systemd:12"))
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--community-max", type=int, default=100,
                        help="largest N run with community.rabbitmq (about 2-3 s per object and run)")
    parser.add_argument("--keep", action="store_true", help="leave the container running")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    version = BROKER.start(args.image, packages=("python3-requests",), plugins=("rabbitmq_management",))
    work = tempfile.mkdtemp(prefix="mqops-bench-")
    inventory = os.path.join(work, "hosts.ini")
    with open(inventory, "w") as handle:
        handle.write("[bench]\n%s ansible_connection=community.docker.docker "
                     "ansible_python_interpreter=/usr/bin/python3\n" % CONTAINER)
    rows = []
    try:
        extra = os.path.join(work, "vars-0.json")
        with open(extra, "w") as handle:
            json.dump(objects(0), handle)
        baseline = playbook("baseline.yml", inventory, extra)[0]
        for n in sizes:
            extra = os.path.join(work, "vars-%d.json" % n)
            with open(extra, "w") as handle:
                json.dump(objects(n), handle)
            row = {"n": n, "objects": 3 * n}
            tools = [("definitions", "definitions.yml")]
            if n <= args.community_max:
                tools.insert(0, ("community", "community.yml"))
            for tool, book in tools:
                BROKER.reset()
                row[tool + "_first"], recap = playbook(book, inventory, extra)
                row[tool + "_rerun"], recap2 = playbook(book, inventory, extra)
                row[tool + "_recap"] = [recap, recap2]
                print("N=%d %s: first %s s, re-run %s s" % (n, tool, row[tool + "_first"], row[tool + "_rerun"]),
                      file=sys.stderr)
            rows.append(row)
    finally:
        if not args.keep:
            BROKER.remove()

    path = os.path.join(HERE, "results-%s.json" % version)
    previous = {}
    if os.path.exists(path):
        with open(path) as handle:
            previous = dict((row["n"], row) for row in json.load(handle).get("rows", []))
    previous.update((row["n"], row) for row in rows)
    rows = [previous[n] for n in sorted(previous)]
    result = {"rabbitmq_version": version, "image": args.image, "baseline_playbook_s": baseline, "rows": rows}
    with open(path, "w") as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")
    print("RabbitMQ %s, baseline ansible-playbook run %.1f s\n" % (version, baseline))
    print("| N per kind | objects | community first | definitions first | ratio | community re-run "
          "| definitions re-run | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        def cell(key):
            if key not in row:
                return "-"
            return "failed" if row[key] is None else "%.1f s" % row[key]

        def ratio(kind):
            community, ours = row.get("community_" + kind), row.get("definitions_" + kind)
            if not community or not ours:
                return "-"
            return "%.0fx" % (community / ours)

        print("| %d | %d | %s | %s | %s | %s | %s | %s |" % (
            row["n"], row["objects"], cell("community_first"), cell("definitions_first"), ratio("first"),
            cell("community_rerun"), cell("definitions_rerun"), ratio("rerun")))


if __name__ == "__main__":
    main()
