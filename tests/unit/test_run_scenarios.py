# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""tools/run_scenarios.py: lanes, order, and what a failure prints."""

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"
sys.path.insert(0, str(TOOLS))  # it imports test_report beside it
spec = importlib.util.spec_from_file_location("run_scenarios", TOOLS / "run_scenarios.py")
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)

# A stand-in for molecule: prints its arguments, fails for scenarios named bad*.
FAKE_MOLECULE = """#!/bin/sh
echo "fake molecule $*"
case "$3" in bad*) echo "fatal: [node1]: FAILED!"; exit 2;; esac
"""


def test_longest_first_unknown_first_then_recorded_then_typical():
    order = runner.longest_first(["default", "cluster", "new", "federation"], {"federation": 5000})
    assert order == ["new", "federation", "cluster", "default"]


def fake_project(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    molecule = bin_dir / "molecule"
    molecule.write_text(FAKE_MOLECULE)
    molecule.chmod(0o755)
    monkeypatch.setenv("PATH", "%s%s%s" % (bin_dir, os.pathsep, os.environ["PATH"]))
    monkeypatch.setattr(runner, "ROOT", str(tmp_path))
    monkeypatch.setattr(runner, "OUTPUT", str(tmp_path / "out"))
    monkeypatch.setattr(runner, "DURATIONS", str(tmp_path / "cache" / "durations.json"))


def test_every_scenario_runs_and_a_failure_is_reported_at_the_end(tmp_path, monkeypatch, capsys):
    fake_project(tmp_path, monkeypatch)
    assert runner.main(["--jobs", "2", "default", "bad_one", "federation"]) == 1
    out = capsys.readouterr().out
    for name in ("default", "federation"):
        assert "=== molecule test -s %s passed in" % name in out
        assert "fake molecule test -s %s" % name in (tmp_path / "out" / ("%s.log" % name)).read_text()
    assert "=== molecule test -s bad_one FAILED in" in out
    tail = out[out.index("=== bad_one failed: last"):]
    assert "fatal: [node1]: FAILED!" in tail
    assert "bad_one failed before its verifier ran" in tail
    assert out.rstrip().endswith("=== failed: bad_one")
    # Only passed scenarios' durations order the next run.
    assert sorted(json.loads((tmp_path / "cache" / "durations.json").read_text())) == ["default", "federation"]


def test_one_job_streams_the_output_and_passes(tmp_path, monkeypatch, capsys):
    fake_project(tmp_path, monkeypatch)
    assert runner.main(["default"]) == 0
    assert "fake molecule test -s default" in capsys.readouterr().out


def test_phase_clock_adds_up_each_action_from_molecule_lines():
    clock = runner.PhaseClock()
    lines = [
        (0, "\x1b[36mINFO    \x1b[0m \x1b[32mcluster\x1b[0m \u279c \x1b[33mdestroy\x1b[0m: \x1b[36mExecuting\x1b[0m"),
        (4, "INFO     cluster \u279c destroy: Executed: Successful"),
        (5, "INFO     cluster \u279c converge: Executing"),
        (6, "  TASK [Gathering Facts] (not an action line)"),
        (145, "INFO     cluster \u279c converge: Executed: Successful"),
        (145, "INFO     cluster \u279c verify: Executing"),
        (1175, "INFO     cluster \u279c verify: Executed: Successful"),
        (1176, "INFO     cluster \u279c destroy: Executing"),
        (1186, "INFO     cluster \u279c destroy: Executed: Successful"),
        (1186, "WARNING  cluster \u279c cleanup: Executed: Missing playbook"),
    ]
    for now, line in lines:
        clock.feed(line, now)
    assert clock.summary() == "destroy 14 s, converge 140 s, verify 1030 s"


def test_the_result_line_says_where_the_time_went(tmp_path, monkeypatch, capsys):
    fake_project(tmp_path, monkeypatch)
    assert runner.main(["default"]) == 0
    out = capsys.readouterr().out
    assert "=== molecule test -s default passed in 0 s" in out
    # The fake prints no molecule action lines: no empty parentheses.
    assert "()" not in out


# Records when each scenario starts and ends (with a pause between).
TIMELINE_MOLECULE = """#!/bin/sh
echo "start $3" >> "$TIMELINE"
sleep 0.3
echo "end $3" >> "$TIMELINE"
"""


def test_scenarios_kept_apart_never_overlap_while_others_fill_the_lanes(tmp_path, monkeypatch, capsys):
    fake_project(tmp_path, monkeypatch)
    (tmp_path / "bin" / "molecule").write_text(TIMELINE_MOLECULE)
    timeline = tmp_path / "timeline"
    monkeypatch.setenv("TIMELINE", str(timeline))
    for name in ("heavy_a", "heavy_b", "light_1", "light_2"):
        (tmp_path / "molecule" / name).mkdir(parents=True)
        (tmp_path / "molecule" / name / "molecule.yml").write_text("---\n")
    # Recorded durations put the two heavy ones first: without --apart they
    # would take both lanes at once.
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "durations.json").write_text(json.dumps({"heavy_a": 900, "heavy_b": 800, "light_1": 200, "light_2": 100}))
    assert runner.main(["--jobs", "2", "--apart", "heavy_a,heavy_b", "heavy_a", "heavy_b", "light_1", "light_2"]) == 0
    running, overlaps, seen_two = set(), [], False
    for event, name in (line.split() for line in timeline.read_text().splitlines()):
        if event == "start":
            running.add(name)
            seen_two = seen_two or len(running) == 2
            if {"heavy_a", "heavy_b"} <= running:
                overlaps.append(set(running))
        else:
            running.discard(name)
    assert not overlaps
    # The lanes were used: a light scenario ran beside a heavy one.
    assert seen_two
    assert "4 scenario(s)" in capsys.readouterr().out


def test_a_misspelt_scenario_to_keep_apart_is_refused(tmp_path, monkeypatch, capsys):
    fake_project(tmp_path, monkeypatch)
    (tmp_path / "molecule" / "cluster").mkdir(parents=True)
    (tmp_path / "molecule" / "cluster" / "molecule.yml").write_text("---\n")
    with pytest.raises(SystemExit):
        runner.main(["--jobs", "2", "--apart", "cluster,cluster_clasic", "default"])
    assert "--apart names no scenario under molecule/: cluster_clasic" in capsys.readouterr().err
    assert not (tmp_path / "out" / "default.log").exists()


def test_commands_fill_the_lane_the_scenarios_kept_apart_leave_free(tmp_path, monkeypatch, capsys):
    fake_project(tmp_path, monkeypatch)
    (tmp_path / "bin" / "molecule").write_text(TIMELINE_MOLECULE.replace("sleep 0.3", 'case "$3" in heavy*) sleep 1;; *) sleep 0.2;; esac'))
    timeline = tmp_path / "timeline"
    monkeypatch.setenv("TIMELINE", str(timeline))
    for name in ("heavy_a", "heavy_b", "light_1"):
        (tmp_path / "molecule" / name).mkdir(parents=True)
        (tmp_path / "molecule" / name / "molecule.yml").write_text("---\n")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "durations.json").write_text(json.dumps({"heavy_a": 900, "heavy_b": 800, "light_1": 200}))
    record = 'echo "start {0}" >> "$TIMELINE"; sleep 0.2; echo "end {0}" >> "$TIMELINE"'
    assert runner.main(["--jobs", "2", "--apart", "heavy_a,heavy_b",
                        "--then", "lint=" + record.format("lint"),
                        "--then", "broken=echo 'lint: 3 findings'; exit 3",
                        "heavy_a", "heavy_b", "light_1"]) == 1
    events = [tuple(line.split()) for line in timeline.read_text().splitlines()]
    # Queued after the scenarios: the free lane took it once light_1 was done
    # and the heavy one left could not start beside heavy_a.
    assert events.index(("end", "light_1")) < events.index(("start", "lint")) < events.index(("end", "heavy_a"))
    out = capsys.readouterr().out
    assert "=== lint passed in" in out and "    %s\n" % record.format("lint") in out
    # A failed command: its log tail at the end, in tests/output/NAME.log.
    tail = out[out.index("=== broken failed: last"):]
    assert "lint: 3 findings" in tail
    assert (tmp_path / "broken.log").read_text().startswith("lint: 3 findings\n")
    assert "3 scenario(s) and 2 command(s)" in out
    assert out.rstrip().endswith("=== failed: broken")
    # Commands do not order the next run.
    assert "lint" not in json.loads((tmp_path / "cache" / "durations.json").read_text())


def test_then_needs_a_name_and_a_command(tmp_path, monkeypatch, capsys):
    fake_project(tmp_path, monkeypatch)
    for bad in ("lint", "=yamllint .", "lint=", "default=echo"):
        with pytest.raises(SystemExit):
            runner.main(["--then", bad, "default"])
        assert "--then" in capsys.readouterr().err
