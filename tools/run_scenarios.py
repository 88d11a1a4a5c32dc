#!/usr/bin/env python3
"""Run molecule scenarios in parallel lanes, longest first; report each one.

`make molecule` calls it. Every scenario runs (`molecule test -s NAME`) even
when another fails. Scenarios use distinct container names and networks, so
they can share a Docker engine: with ``--jobs 2`` two of them run at a time.
``--apart A,B`` keeps scenarios that each load the machine from running at
the same time: on 2 cores two heavy scenarios side by side (the 3-node
cluster scenarios, security) ran 2-2.6 times slower each and saved nothing,
while a light scenario beside a heavy one fills the time its fault tests
spend waiting.

Each scenario's output goes to ``tests/output/molecule/NAME.log``; with one
lane in use it is also streamed. When a scenario finishes, one line says how it went,
how long it took and how long each molecule action (converge, verify...)
took; a failed one's log tail and failed verifier tests (tools/test_report.py)
are printed at the end, where a CI log's tail shows them. The durations are kept in ``.cache/molecule-durations.json`` and order
the next run (longest first, so the lanes end together); without that file
the order below is used.

``--then NAME=COMMAND`` adds a check that is not a scenario (lint, ansible-test,
the integration tests): a shell command queued after the scenarios, in the
order given, that a free lane takes when no scenario may start there; its
output goes to ``tests/output/NAME.log``. With the heavy scenarios kept
apart, one lane runs them one after the other while the light ones finish
much earlier in the other: the commands fill that lane instead of running
before or after every scenario. A failed command is reported like a failed
scenario.

    python tools/run_scenarios.py --jobs 2 --apart cluster,cluster_classic \
        --then 'lint=yamllint --strict .' cluster default ...
"""

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

import test_report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "tests", "output", "molecule")
DURATIONS = os.path.join(ROOT, ".cache", "molecule-durations.json")
# Seconds each scenario took in one lane (fresh-clone `make test`, 2 cores,
# 2026-11-28); only their order matters.
TYPICAL = {
    "cluster_classic": 940,
    "cluster": 800,
    "security": 425,
    "migration": 225,
    "protocols": 185,
    "definitions": 165,
    "default": 135,
    "federation": 95,
}
TAIL = 150  # log lines printed for a failed scenario
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# molecule's "INFO     cluster ➜ converge: Executing" / "...: Executed: Successful"
ACTION = re.compile(r"\u279c\s*(\w+): (Executing|Executed)")


class PhaseClock:
    """Seconds per molecule action (create, converge, verify...) of one scenario,
    from the "Executing"/"Executed" lines of its output. An action that runs
    twice (destroy, cleanup) adds up."""

    def __init__(self):
        self.seconds, self.started = {}, {}

    def feed(self, line, now):
        match = ACTION.search(ANSI.sub("", line))
        if not match:
            return
        action, what = match.groups()
        if what == "Executing":
            self.started[action] = now
        elif action in self.started:
            self.seconds[action] = self.seconds.get(action, 0.0) + now - self.started.pop(action)

    def summary(self):
        """"converge 140 s, verify 1030 s, ..." in the order the actions first ran; empty if none."""
        return ", ".join("%s %d s" % (action, seconds) for action, seconds in self.seconds.items() if seconds >= 1)


def load_durations():
    try:
        with open(DURATIONS) as handle:
            return {k: float(v) for k, v in json.load(handle).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def save_durations(durations):
    known = load_durations()
    known.update(durations)
    os.makedirs(os.path.dirname(DURATIONS), exist_ok=True)
    with open(DURATIONS, "w") as handle:
        json.dump(known, handle, indent=1, sort_keys=True)


def longest_first(scenarios, durations):
    """The scenarios, longest expected first (unknown ones first of all)."""
    def expected(name):
        return durations.get(name, TYPICAL.get(name, float("inf")))
    return sorted(scenarios, key=lambda name: (-expected(name), name))


def say(lock, line):
    with lock:
        print(line, flush=True)


def log_path(name, commands):
    """Where a scenario's (tests/output/molecule/) or a command's (tests/output/) output goes."""
    if name in commands:
        return os.path.join(os.path.dirname(OUTPUT), "%s.log" % name)
    return os.path.join(OUTPUT, "%s.log" % name)


def run_one(name, stream, lock, commands=None):
    """Run one scenario, or the command named NAME in commands; return (passed, seconds)."""
    commands = commands or {}
    path = log_path(name, commands)
    if name in commands:
        title, argv = name, ["bash", "-o", "pipefail", "-c", commands[name]]
    else:
        title, argv = "molecule test -s %s" % name, ["molecule", "test", "-s", name]
    start = time.monotonic()
    say(lock, "=== %s: started (%s)" % (title, path))
    if name in commands:
        say(lock, "    %s" % commands[name])
    with open(path, "w") as log:
        # Unbuffered: the log follows the run (a pipe would hold it in blocks).
        process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, errors="replace",
                                   env=dict(os.environ, PYTHONUNBUFFERED="1"))
        clock = PhaseClock()
        for line in process.stdout:
            clock.feed(line, time.monotonic())
            log.write(line)
            if stream:
                sys.stdout.write(line)
        passed = process.wait() == 0
        seconds = time.monotonic() - start
        # Where the scenario's time went, in its log and in the result line.
        summary = clock.summary()
        phases = " (%s)" % summary if summary else ""
        log.write("=== %s: %d s%s\n" % (name, seconds, phases))
    say(lock, "=== %s %s in %d s%s" % (title, "passed" if passed else "FAILED", seconds, phases))
    return passed, seconds


def failure_report(name, commands=None):
    """The tail of a failed scenario's (or command's) log and its failed verifier tests."""
    commands = commands or {}
    path = log_path(name, commands)
    lines = ["", "=" * 78, "=== %s failed: last %d lines of %s" % (name, TAIL, os.path.relpath(path, ROOT))]
    try:
        with open(path, errors="replace") as log:
            lines.extend(line.rstrip("\n") for line in log.readlines()[-TAIL:])
    except OSError as exc:
        lines.append("(no log: %s)" % exc)
    if name in commands:
        return "\n".join(lines)
    junit = os.path.join(OUTPUT, "%s.xml" % name)
    if os.path.exists(junit):
        lines.append(test_report.summary([junit]))
    else:
        lines.append("=== %s failed before its verifier ran (see its log above)" % name)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1, help="scenarios run at a time (default 1)")
    parser.add_argument("--apart", action="append", default=[], metavar="A,B",
                        help="scenarios of which at most one runs at a time (repeatable: one group each)")
    parser.add_argument("--then", action="append", default=[], metavar="NAME=COMMAND",
                        help="a shell command queued after the scenarios, for a lane where none may start (repeatable)")
    parser.add_argument("scenarios", nargs="+")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be 1 or more, not %d" % args.jobs)
    commands = {}
    for entry in args.then:
        name, _, command = entry.partition("=")
        name, command = name.strip(), command.strip()
        if not re.match(r"^[A-Za-z0-9_.-]+$", name) or not command:
            parser.error("--then takes NAME=COMMAND (NAME of letters, digits, '_', '.', '-'; a command), not %r" % entry)
        if name in commands or name in args.scenarios:
            parser.error("--then %s: the name is already used by a scenario or another command" % name)
        commands[name] = command
    os.makedirs(OUTPUT, exist_ok=True)

    pending = longest_first(args.scenarios, load_durations()) + list(commands)
    everything = list(args.scenarios) + list(commands)
    # One lane in use (one job, or one scenario): its output is streamed too.
    lanes_used = min(args.jobs, len(everything))
    groups = [{name for name in group.split(",") if name} for group in args.apart]
    # A misspelt name would let two heavy scenarios run side by side unnoticed.
    unknown = sorted(name for group in groups for name in group
                     if not os.path.isfile(os.path.join(ROOT, "molecule", name, "molecule.yml")))
    if unknown:
        parser.error("--apart names no scenario under molecule/: %s" % ", ".join(unknown))
    running = set()
    ready = threading.Condition()
    lock = threading.Lock()
    results = {}

    def next_scenario():
        """The longest pending scenario that may start now; None when none is left."""
        with ready:
            while pending:
                name = next((n for n in pending if not any(n in g and running & g for g in groups)), None)
                if name is not None:
                    pending.remove(name)
                    running.add(name)
                    return name
                ready.wait()
            return None

    def lane():
        while True:
            name = next_scenario()
            if name is None:
                return
            try:
                results[name] = run_one(name, lanes_used == 1, lock, commands)
            except Exception as exc:  # a scenario that cannot start still gets reported
                say(lock, "=== molecule test -s %s could not run: %s" % (name, exc))
                results[name] = (False, 0.0)
            finally:
                with ready:
                    running.discard(name)
                    ready.notify_all()

    start = time.monotonic()
    lanes = [threading.Thread(target=lane, name="lane-%d" % i) for i in range(lanes_used)]
    for thread in lanes:
        thread.start()
    for thread in lanes:
        thread.join()

    save_durations({name: seconds for name, (passed, seconds) in results.items() if passed and name not in commands})
    failed = [name for name in everything if not results.get(name, (False, 0))[0]]
    for name in failed:
        print(failure_report(name, commands))
    print("=== %d scenario(s)%s in %d s with %d job(s): %s" % (
        len(args.scenarios), " and %d command(s)" % len(commands) if commands else "",
        time.monotonic() - start, args.jobs,
        ", ".join("%s %d s" % (n, results[n][1]) for n in everything if n in results)))
    if failed:
        print("=== failed: %s" % " ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
