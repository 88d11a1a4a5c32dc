# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""tools/test_report.py: what a failed scenario prints at the end of the log."""

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / "tools" / "test_report.py"
spec = importlib.util.spec_from_file_location("test_report", TOOL)
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" tests="3">
<testcase classname="test_cluster" name="test_members[ansible://node1]"/>
<testcase classname="test_cluster" name="test_quorum[ansible://node1]">
<failure message="AssertionError: 2 members online, expected 3">def test_quorum():
&gt;       assert online == 3
E       AssertionError: 2 members online, expected 3
E       assert 2 == 3</failure></testcase>
<testcase classname="test_khepri" name="test_store[ansible://node2]">
<error message="failed on setup with &quot;KeyError: 'groups'&quot;">KeyError: 'groups'</error></testcase>
</testsuite></testsuites>
"""


def test_lists_failures_and_errors_with_their_assertion(tmp_path):
    path = tmp_path / "cluster.xml"
    path.write_text(JUNIT)
    text = report.summary([str(path)])
    assert "--- test_cluster::test_quorum[ansible://node1] (failure)" in text
    assert "E       assert 2 == 3" in text
    assert "--- test_khepri::test_store[ansible://node2] (error)" in text
    assert "KeyError: 'groups'" in text
    assert "test_members" not in text
    assert text.splitlines()[-1].startswith("=== 2 failed or errored test(s)")


def test_unreadable_report_is_named_not_raised(tmp_path):
    path = tmp_path / "missing.xml"
    text = report.summary([str(path)])
    assert "missing.xml (unreadable)" in text
