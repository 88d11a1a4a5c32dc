# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Classifying a node's state from systemd and cluster_status."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.mqops.rabbitmq.plugins.module_utils import node_state

NODE = "rabbit@node1"


def status(running=(NODE,), maintenance="not under maintenance"):
    return json.dumps({"disk_nodes": [NODE, "rabbit@node2"], "running_nodes": list(running),
                       "maintenance_status": {NODE: maintenance, "rabbit@node2": "not under maintenance"}})


def unit(active="active", sub="running", restarts="0", load="loaded"):
    return {"ActiveState": active, "SubState": sub, "NRestarts": restarts, "LoadState": load}


def test_parse_systemctl_show():
    assert node_state.parse_systemctl_show("ActiveState=active\nSubState=running\nNRestarts=0\n") == {
        "ActiveState": "active", "SubState": "running", "NRestarts": "0"}


@pytest.mark.parametrize("service, cli, expected", [
    (unit(), (0, status(), ""), ("running", False)),
    (unit(), (0, status(maintenance="marked for maintenance"), ""), ("running", True)),
    # 3.10 colours the status even in JSON.
    (unit(), (0, status(maintenance="\x1b[35mmarked for maintenance\x1b[0m"), ""), ("running", True)),
    (unit(), (64, "Error: this command requires the 'rabbit' app to be running on the target node.", ""),
     ("app_stopped", False)),
    (unit(), (0, status(running=("rabbit@node2",)), ""), ("app_stopped", False)),
    (unit(), (69, "", "Error: unable to perform an operation on node"), ("unreachable", False)),
    (unit(), (0, "not json", ""), ("unreachable", False)),
    (unit(), None, ("unreachable", False)),
    (unit("activating", "auto-restart", "3"), None, ("restart_loop", False)),
    (unit("activating", "start", "2"), None, ("restart_loop", False)),
    (unit("activating", "start", "0"), None, ("unreachable", False)),
    (unit("failed", "failed"), None, ("failed", False)),
    (unit("inactive", "dead"), None, ("stopped", False)),
    (unit("inactive", "dead", load="not-found"), None, ("not_installed", False)),
])
def test_classify(service, cli, expected):
    rc, out, err = cli if cli else (None, "", "")
    state, cluster, maintenance = node_state.classify(service, rc, out, err, NODE)
    assert (state, maintenance) == expected
    assert (cluster is not None) == (state == "running" or (state == "app_stopped" and rc == 0))


NODE_LOG = """2026-11-28 07:41:45.588925+00:00 [info] <0.454.0> Starting
2026-11-28 07:41:45.588925+00:00 [error] <0.454.0> BOOT FAILED
2026-11-28 07:41:45.588925+00:00 [error] <0.454.0> ===========
2026-11-28 07:41:45.588925+00:00 [error] <0.454.0> Error during startup: {error,
2026-11-28 07:41:45.588925+00:00 [error] <0.454.0>    {could_not_start_listener,"::",5673,
2026-11-28 07:41:45.588925+00:00 [error] <0.454.0>     eaddrinuse}}
2026-11-28 07:41:46.637943+00:00 [info] <0.454.0> Stopping RabbitMQ applications
"""


def test_boot_error_condenses_the_last_boot_failure():
    error_log = "noise\nRuntime terminating during boot ({could_not_start_listener,eaddrinuse})\n"
    assert node_state.boot_error("old\n" + NODE_LOG, error_log) == (
        '[eaddrinuse] Error during startup: {error, {could_not_start_listener,"::",5673, eaddrinuse}}')


def test_boot_error_falls_back_to_the_unit_error_file_and_cuts_long_text():
    error_log = "Runtime terminating during boot ({" + "x" * 500 + ",enoent})\n"
    text = node_state.boot_error("", error_log, limit=50)
    assert text == "[enoent] Runtime terminating during boot ({" + "x" * 16 + "..."


def test_boot_error_empty_when_nothing_logged():
    assert node_state.boot_error("", "") == ""


LISTENERS = {NODE: [
    {"node": NODE, "port": 15672, "protocol": "http", "interface": "[::]"},
    {"node": NODE, "port": 25672, "protocol": "clustering", "interface": "[::]"},
    {"node": NODE, "port": 5671, "protocol": "amqp/ssl", "interface": "10.0.0.5"},
], "rabbit@node2": [{"node": "rabbit@node2", "port": 5672, "protocol": "amqp", "interface": "[::]"}]}


def test_client_listeners_leave_out_clustering_and_reach_wildcards_through_loopback():
    assert node_state.client_listeners({"listeners": LISTENERS}, NODE) == [
        (["127.0.0.1", "::1"], 15672, "http"), (["10.0.0.5"], 5671, "amqp/ssl")]
    assert node_state.client_listeners({}, NODE) == []
    assert node_state.client_listeners({"listeners": LISTENERS}, None) == []


def test_closed_client_listeners_only_when_every_one_refuses():
    tried = []

    def refuse_all(address, port):
        tried.append((address, port))
        return False

    assert node_state.closed_client_listeners({"listeners": LISTENERS}, NODE, refuse_all) == ["http 15672", "amqp/ssl 5671"]
    # Every address of a wildcard listener was tried; never the clustering port.
    assert tried == [("127.0.0.1", 15672), ("::1", 15672), ("10.0.0.5", 5671)]
    # One listener that answers (here IPv6 loopback only): not drained.
    assert node_state.closed_client_listeners(
        {"listeners": LISTENERS}, NODE, lambda address, port: (address, port) == ("::1", 15672)) == []
    # No client listener listed: nothing to conclude.
    assert node_state.closed_client_listeners({"listeners": {NODE: [LISTENERS[NODE][1]]}}, NODE, refuse_all) == []
