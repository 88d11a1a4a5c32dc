#!/usr/bin/env python3
"""The rabbitmq_definitions module alone: first run and no-op at N objects per kind.

    bench/definitions_bench.py [--image mqops/debian-systemd:13] [--sizes 10,1000]
                               [--kinds all|classic] [--vhost-cap 1000] [--repeat 3] [--keep]

For each size N it resets a one-node broker in a local container, declares
N objects of each kind with one task of mqops.rabbitmq.rabbitmq_definitions
(first run: everything created), runs the same task again (no-op), and
reports

- module time: the task's duration (start to end as the json callback
  records it: transfer of the module and its arguments, the module's run on
  the node, its result coming back), and
- the broker's own time for GET /api/definitions (curl on the node), the
  part of a no-op the module cannot shorten,

then the ratios of the no-op module time (the median of ``--repeat`` runs)
at each N to that at the smallest N, measured in the same run, with and
without the broker's export time. Results go to
bench/results-definitions-<rabbitmq version>.json (rows of other sizes are
kept) and are printed as a Markdown table. Not a test: nothing asserts on
timings, which vary with the machine's load.

Kinds (``--kinds all``): vhosts, users, permissions, topic permissions,
policies, operator policies, vhost limits, user limits, global parameters,
federation upstreams and upstream sets, exchanges, classic queues and
bindings - N each, except virtual hosts and their limits: at most
``--vhost-cap`` (each virtual host starts its own processes; objects spread
over them). Shovels are left out: each runs two AMQP connections.
``--kinds classic`` declares the four kinds of bench/run.py (vhosts, users,
permissions, policies).

Needs Docker, the local systemd image and the repository's Python
environment (ansible with community.docker).
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

from broker import ADMIN_PASSWORD, Broker

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONTAINER = "mqops-defs-bench"
BROKER = Broker(CONTAINER)
KIND_SETS = {
    "classic": ("vhosts", "users", "permissions", "policies"),
    "all": ("vhosts", "users", "permissions", "topic_permissions", "policies", "operator_policies", "vhost_limits",
            "user_limits", "global_parameters", "federation_upstreams", "federation_upstream_sets", "exchanges",
            "queues", "bindings"),
}



def objects(n, kinds, vhost_cap):
    """The module arguments: n objects of each kind (vhosts and their limits capped)."""
    v = max(1, min(n, vhost_cap))
    vhost = ["bench-%05d" % i for i in range(v)]
    of = dict((kind, []) for kind in KIND_SETS["all"])
    of["vhosts"] = [{"name": name, "description": "bench"} for name in vhost]
    of["vhost_limits"] = [{"vhost": name, "max_queues": 100000} for name in vhost]
    for i in range(n):
        home, user = vhost[i % v], "user-%05d" % i
        of["users"].append({"name": user, "password": "bench-user-pw-%05d" % i, "tags": ["management"]})
        of["permissions"].append({"user": user, "vhost": home})
        of["topic_permissions"].append({"user": user, "vhost": home, "exchange": "amq.topic", "write": "^u%d\\." % i})
        of["policies"].append({"name": "policy-%05d" % i, "vhost": home, "pattern": "^q-%05d$" % i,
                               "apply_to": "queues", "definition": {"max-length": 1000 + i}})
        of["operator_policies"].append({"name": "cap-%05d" % i, "vhost": home, "pattern": "^q-%05d$" % i,
                                        "definition": {"max-length-bytes": 10000000}})
        of["user_limits"].append({"user": user, "max_connections": 100})
        of["global_parameters"].append({"name": "bench-%05d" % i, "value": {"i": i}})
        of["federation_upstreams"].append({"name": "up-%05d" % i, "vhost": home,
                                           "uri": ["amqp://bench:bench@upstream-%05d.invalid/x" % i]})
        of["federation_upstream_sets"].append({"name": "set-%05d" % i, "vhost": home, "upstreams": ["up-%05d" % i]})
        of["exchanges"].append({"name": "x-%05d" % i, "vhost": home, "type": "topic"})
        of["queues"].append({"name": "q-%05d" % i, "vhost": home, "type": "classic"})
        of["bindings"].append({"vhost": home, "source": "x-%05d" % i, "destination": "q-%05d" % i,
                               "routing_key": "k.#"})
    wanted = KIND_SETS[kinds]
    return dict(("bench_%s" % kind, of[kind] if kind in wanted else []) for kind in KIND_SETS["all"])


def seconds(duration):
    parse = datetime.datetime.fromisoformat
    return (parse(duration["end"].replace("Z", "+00:00")) - parse(duration["start"].replace("Z", "+00:00"))
            ).total_seconds()


def run(inventory, extra_vars):
    """(module time, playbook wall time, the module's result) of one run of definitions_only.yml."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "collections"),
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    start = time.monotonic()
    process = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory, "-e", "@" + extra_vars,
         os.path.join(HERE, "definitions_only.yml")],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )
    wall = time.monotonic() - start
    try:
        task = json.loads(process.stdout)["plays"][0]["tasks"][0]
        result = task["hosts"][CONTAINER]
    except (ValueError, KeyError, IndexError):
        sys.exit("no result:\n%s\n%s" % (process.stdout[-3000:], process.stderr[-3000:]))
    if result.get("failed"):
        print("run failed after %.1f s: %s" % (wall, result.get("msg")), file=sys.stderr)
        return None, round(wall, 2), result
    return round(seconds(task["task"]["duration"]), 2), round(wall, 2), result


def export_seconds(repeat=3):
    """The broker's own time for GET /api/definitions (curl on the node), median of ``repeat``."""
    script = ("s=$(date +%%s%%N); curl -sf -o /dev/null -u admin:'%s' http://127.0.0.1:15672/api/definitions; "
              "e=$(date +%%s%%N); echo $(( (e - s) / 1000000 ))" % ADMIN_PASSWORD)
    times = sorted(int(BROKER.run(script).stdout.strip()) / 1000.0 for _ in range(repeat))
    return times[len(times) // 2]


def save(version, image, rows):
    """Merge ``rows`` into bench/results-definitions-<version>.json (rows of other sizes kept)."""
    path = os.path.join(HERE, "results-definitions-%s.json" % version)
    previous = {}
    if os.path.exists(path):
        with open(path) as handle:
            previous = dict(((r["kinds"], r["n"]), r) for r in json.load(handle).get("rows", []))
    previous.update(((r["kinds"], r["n"]), r) for r in rows)
    with open(path, "w") as handle:
        json.dump({"rabbitmq_version": version, "image": image,
                   "rows": [previous[k] for k in sorted(previous)]}, handle, indent=2)
        handle.write("\n")


def result_size(result):
    return len(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default=os.environ.get("MQOPS_IMAGE_DEBIAN13", "mqops/debian-systemd:13"))
    parser.add_argument("--sizes", default="10,1000")
    parser.add_argument("--kinds", choices=sorted(KIND_SETS), default="all")
    parser.add_argument("--vhost-cap", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="no-op runs per size (the median is reported)")
    parser.add_argument("--keep", action="store_true", help="leave the container running")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    version = BROKER.start(args.image, packages=(), plugins=("rabbitmq_management", "rabbitmq_federation"))
    work = tempfile.mkdtemp(prefix="mqops-defs-bench-")
    inventory = os.path.join(work, "hosts.ini")
    with open(inventory, "w") as handle:
        handle.write("[bench]\n%s ansible_connection=community.docker.docker "
                     "ansible_python_interpreter=/usr/bin/python3\n" % CONTAINER)
    rows = []
    try:
        for n in sizes:
            extra = os.path.join(work, "vars-%d.json" % n)
            declared = objects(n, args.kinds, args.vhost_cap)
            with open(extra, "w") as handle:
                json.dump(dict(declared, bench_admin_password=ADMIN_PASSWORD), handle)
            BROKER.reset()
            row = {"n": n, "kinds": args.kinds, "objects": sum(len(v) for v in declared.values())}
            row["first_module_s"], row["first_wall_s"], first = run(inventory, extra)
            row["first_requests"] = len(first.get("requests", []))
            noops = [run(inventory, extra) for _ in range(args.repeat)]
            noops.sort(key=lambda r: (r[0] is None, r[0]))
            row["noop_module_s"], row["noop_wall_s"], noop = noops[len(noops) // 2]
            row["noop_module_all_s"] = [r[0] for r in noops]
            row["export_s"] = export_seconds()
            row["load_average"] = os.getloadavg()[0]
            row["noop_changed"] = noop.get("changed")
            row["noop_result_bytes"] = result_size(noop)
            row["noop_api_calls"] = noop.get("api_calls")
            print("N=%d (%d objects): first %s s (%d requests), no-op %s s (runs %s; broker export %.2f s), result"
                  " %d bytes, load %.1f" % (n, row["objects"], row["first_module_s"], row["first_requests"],
                                             row["noop_module_s"], row["noop_module_all_s"], row["export_s"],
                                             row["noop_result_bytes"], row["load_average"]), file=sys.stderr)
            rows.append(row)
            save(version, args.image, rows)  # after each size: the largest may take an hour
    finally:
        if not args.keep:
            BROKER.remove()

    base = rows[0]
    print("RabbitMQ %s, kinds: %s (this run)\n" % (version, args.kinds))
    print("| N per kind | objects | first run (module) | import requests | no-op (module) | of which broker"
          " export | no-op result | no-op vs N=%d | without the export | load |" % base["n"])
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        ratio = ratio_without = "-"
        if row["noop_module_s"] and base["noop_module_s"]:
            ratio = "%.2fx" % (row["noop_module_s"] / base["noop_module_s"])
            ratio_without = "%.2fx" % ((row["noop_module_s"] - row["export_s"])
                                       / (base["noop_module_s"] - base["export_s"]))
        print("| %d | %d | %s | %d | %s | %.2f s | %d B | %s | %s | %.1f |" % (
            row["n"], row["objects"], _s(row["first_module_s"]), row["first_requests"], _s(row["noop_module_s"]),
            row["export_s"], row["noop_result_bytes"], ratio, ratio_without, row["load_average"]))


def _s(value):
    return "failed" if value is None else "%.1f s" % value


if __name__ == "__main__":
    main()
