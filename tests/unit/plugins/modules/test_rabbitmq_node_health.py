# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""rabbitmq_node_health and module_utils/node_health.py.

The management API is a stand-in HTTP server on loopback in this process
(the answers of RabbitMQ's /api/nodes, /api/overview and health check
endpoints, 503 for a failing check); the CLI is a fake run_command that
records every call, so each test says how many Erlang VMs a real run would
have booted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import http.server
import json
import socket
import threading

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mqops.rabbitmq.plugins.module_utils import node_health
from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import ApiError
from ansible_collections.mqops.rabbitmq.plugins.modules import rabbitmq_node_health
from ansible_collections.mqops.rabbitmq.tests.unit.plugins.modules.harness import (
    AnsibleExitJson,
    AnsibleFailJson,
    patch_exits,
    run_module,
)

PASSWORD = "health-Pa55word"
NODES = ["rabbit@mq1", "rabbit@mq2", "rabbit@mq3"]
CLI_STATUS = {"disk_nodes": NODES, "ram_nodes": [], "running_nodes": NODES, "alarms": [], "partitions": {},
              "versions": {n: {"rabbitmq_version": "3.10.8", "erlang_version": "25.2.3"} for n in NODES},
              "feature_flags": [{"name": "quorum_queue", "state": "enabled", "stability": "stable"}]}


class Broker(object):
    """What the stand-in API answers; tests change it between rounds."""

    def __init__(self, listener_port):
        self.running = list(NODES)
        self.alarm = False
        self.quorum_critical = 0  # rounds left during which the node is quorum critical
        self.missing = set()  # paths answered 404 (an older version)
        self.password = PASSWORD
        self.listener_port = listener_port
        self.requests = []
        self.deprecated_used = []

    def answer(self, path):
        if path in self.missing:
            return 404, {"error": "Object Not Found", "reason": "Not Found"}
        if path == "/api/nodes?disable_stats=true":
            # Without statistics: no alarm flags (they lag behind when present).
            return 200, [{"name": n, "type": "disc", "running": n in self.running} for n in NODES]
        if path == "/api/health/checks/alarms":
            if self.alarm:
                return 503, {"status": "failed", "reason": "There are alarms in effect in the cluster",
                             "alarms": [{"node": NODES[1], "resource": "memory"}]}
            return 200, {"status": "ok"}
        if path == "/api/overview":
            return 200, {"node": NODES[0], "rabbitmq_version": "4.3.6", "erlang_version": "29.1",
                         "listeners": [{"node": NODES[0], "protocol": "amqp", "ip_address": "::", "port": self.listener_port},
                                       {"node": NODES[1], "protocol": "amqp", "ip_address": "::", "port": 1}]}
        if path == "/api/health/checks/node-is-quorum-critical":
            if self.quorum_critical > 0:
                self.quorum_critical -= 1
                return 503, {"status": "failed", "reason": "There are quorum queues that would lose their quorum"}
            return 200, {"status": "ok"}
        if path == "/api/deprecated-features/used":
            return 200, [{"name": name, "desc": "", "deprecation_phase": "permitted_by_default", "provided_by": "rabbit"}
                         for name in self.deprecated_used]
        if path in ("/api/health/checks/virtual-hosts", "/api/health/checks/node-is-mirror-sync-critical"):
            return 200, {"status": "ok"}
        return 404, {"error": "Object Not Found", "reason": "Not Found"}


@pytest.fixture()
def listener():
    """A TCP listener standing in for the node's AMQP port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture()
def broker(listener):
    state = Broker(listener)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            state.requests.append(self.path)
            expected = "Basic " + base64.b64encode(("admin:" + state.password).encode()).decode()
            if self.headers.get("Authorization") != expected:
                status, body = 401, {"error": "not_authorized", "reason": "Login failed"}
            else:
                status, body = state.answer(self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = "http://127.0.0.1:%d" % server.server_address[1]
    yield state
    server.shutdown()
    server.server_close()


class FakeCli(object):
    """run_command for the RabbitMQ CLI tools: records each call (one Erlang VM each)."""

    def __init__(self, failing=()):
        self.calls = []
        self.failing = set(failing)
        self.deprecated_used = []

    def __call__(self, module, cmd, *args, **kwargs):
        self.calls.append(" ".join([cmd[0].rsplit("/", 1)[-1]] + [c for c in cmd[1:] if c != "-q"]))
        words = [c for c in cmd[1:] if c != "-q"]
        if words[:1] == ["-n"]:
            words = words[2:]
        command = words[0]
        if command in self.failing:
            return 69, "", "Error: %s failed" % command
        if command == "cluster_status":
            return 0, json.dumps(CLI_STATUS), ""
        if command == "check_if_any_deprecated_features_are_used" and self.deprecated_used:
            # What RabbitMQ 4.x prints (on stderr) with -q --formatter json.
            return 69, "", json.dumps({"deprecated_features": self.deprecated_used, "result": "error",
                                       "message": "Cluster reported deprecated features in use"})
        return 0, "", ""


@pytest.fixture()
def cli(monkeypatch):
    patch_exits(monkeypatch)
    fake = FakeCli()
    monkeypatch.setattr(AnsibleModule, "run_command", lambda module, cmd, *a, **k: fake(module, cmd))
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/sbin/" + name)
    monkeypatch.setattr(rabbitmq_node_health, "time", FakeClock())
    return fake


class FakeClock(object):
    """time for the module: sleep() moves monotonic() on at once."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def run(args, expect=AnsibleExitJson):
    return run_module(rabbitmq_node_health.main, args, expect)


def api_args(broker, **extra):
    extra.setdefault("node", NODES[0])
    return dict(api_url=broker.url, api_password=PASSWORD, **extra)


# --- over the API: no Erlang VM -------------------------------------------------


def test_everything_over_the_api_starts_no_cli_tool(broker, cli):
    result = run(api_args(broker, checks=["quorum_plus_one", "mirror_sync", "virtual_hosts", "listeners"],
                          running=NODES, no_alarms=True, timeout=60))
    assert result["changed"] is False
    assert result["read_from"] == ["api"] and result["rounds"] == 1
    assert cli.calls == []
    assert result["cluster_status"]["running_nodes"] == NODES
    assert result["cluster_status"]["versions"] == {NODES[0]: {"rabbitmq_version": "4.3.6", "erlang_version": "29.1"}}


def test_a_failing_health_check_is_waited_for_not_sent_to_the_cli(broker, cli):
    broker.quorum_critical = 2
    result = run(api_args(broker, checks=["quorum_plus_one"], timeout=60))
    assert result["rounds"] == 3 and result["read_from"] == ["api"]
    assert cli.calls == []


def test_timeout_names_what_is_still_pending(broker, cli):
    broker.quorum_critical = 1000
    broker.running = NODES[:2]
    broker.alarm = True
    result = run(api_args(broker, checks=["quorum_plus_one"], running=NODES, no_alarms=True, timeout=5),
                 expect=AnsibleFailJson)
    assert result["msg"].startswith("The node is not ready after 5 s: ")
    assert "quorum_plus_one: There are quorum queues that would lose their quorum" in result["msg"]
    assert "not listed as running: rabbit@mq3" in result["msg"]
    assert '"resource": "memory"' in result["msg"] and NODES[1] in result["msg"]
    assert result["rounds"] == 3  # at 0, 2 and 4 s: one more would end after the timeout
    assert PASSWORD not in json.dumps(result)


def test_timeout_zero_checks_once(broker, cli):
    broker.running = NODES[:1]
    result = run(api_args(broker, running=NODES), expect=AnsibleFailJson)
    assert result["rounds"] == 1 and result["msg"].startswith("The node is not ready: ")


def test_a_closed_listener_is_reported(broker, cli, listener):
    broker.listener_port = 1  # nothing listens there
    result = run(api_args(broker, checks=["listeners"]), expect=AnsibleFailJson)
    assert "listeners: no connection to amqp (port 1)" in result["msg"]
    assert cli.calls == []


# --- the CLI when the API cannot answer -----------------------------------------


def test_without_api_url_every_answer_comes_from_the_cli(cli):
    result = run(dict(checks=["quorum_plus_one", "virtual_hosts", "listeners"], status=True, node="rabbit@mq1"))
    assert result["read_from"] == ["cli"]
    assert cli.calls == [
        "rabbitmq-diagnostics -n rabbit@mq1 check_if_node_is_quorum_critical",
        "rabbitmq-diagnostics -n rabbit@mq1 check_virtual_hosts",
        "rabbitmq-diagnostics -n rabbit@mq1 check_port_connectivity",
        "rabbitmqctl -n rabbit@mq1 cluster_status --formatter json",
    ]
    # From the CLI, the whole cluster_status (feature flags included).
    assert result["cluster_status"] == CLI_STATUS


def test_without_a_password_the_api_is_not_tried(broker, cli):
    result = run(dict(api_url=broker.url, status=True))
    assert result["read_from"] == ["cli"] and broker.requests == []


def test_a_refused_login_sends_the_rest_of_the_run_to_the_cli(broker, cli):
    broker.password = "another"
    result = run(api_args(broker, checks=["quorum_plus_one", "virtual_hosts"], status=True))
    assert result["read_from"] == ["cli"]
    # One refused request (the check of which node serves the API), then the CLI only.
    assert broker.requests == ["/api/overview"]
    assert result["api_problem"] == "GET /api/overview: HTTP 401: Login failed"
    assert len(cli.calls) == 3


def test_an_endpoint_the_version_lacks_goes_through_the_cli(broker, cli):
    broker.missing = {"/api/health/checks/node-is-mirror-sync-critical"}
    result = run(api_args(broker, checks=["mirror_sync"]))
    assert result["read_from"] == ["cli"]
    assert cli.calls == ["rabbitmq-diagnostics -n rabbit@mq1 check_if_node_is_mirror_sync_critical"]


def test_no_listener_yet_uses_the_cli_for_that_round_only(cli, listener):
    # A port where no HTTP server answers (the listener fixture accepts and
    # closes, like a management listener that is not up yet).
    unused = socket.socket()
    unused.bind(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()
    result = run(dict(api_url="http://127.0.0.1:%d" % port, api_password=PASSWORD, checks=["virtual_hosts"]))
    assert result["read_from"] == ["cli"]
    assert cli.calls == ["rabbitmq-diagnostics check_virtual_hosts"]


def test_a_failing_cli_check_is_reported_with_its_output(cli):
    cli.failing = {"check_virtual_hosts"}
    result = run(dict(checks=["virtual_hosts"], timeout=3), expect=AnsibleFailJson)
    assert "virtual_hosts: Error: check_virtual_hosts failed" in result["msg"]


@pytest.mark.parametrize("args, fragment", [
    (dict(timeout=-1), "timeout must be 0 or more"),
    (dict(delay=0), "delay 1 or more"),
    (dict(checks=["quorum"]), "value of checks must be one or more of"),
    (dict(guards="maybe"), "guards"),
])
def test_bad_arguments_are_refused(cli, args, fragment):
    result = run(args, expect=AnsibleFailJson)
    assert fragment in result["msg"]
    assert cli.calls == []


# --- module_utils/node_health.py ------------------------------------------------


def test_status_from_api_has_the_cluster_status_keys():
    nodes = [{"name": "rabbit@a", "type": "disc", "running": True},
             {"name": "rabbit@b", "type": "ram", "running": False},
             {"name": "rabbit@c", "running": True}]
    alarms = [{"node": "rabbit@a", "resource": "disk", "type": "resource_alarm"}]
    status = node_health.status_from_api(nodes, alarms, {"node": "rabbit@a", "rabbitmq_version": "3.10.8",
                                                         "erlang_version": "25"})
    assert status["disk_nodes"] == ["rabbit@a", "rabbit@c"] and status["ram_nodes"] == ["rabbit@b"]
    assert status["running_nodes"] == ["rabbit@a", "rabbit@c"]
    assert status["alarms"] == alarms
    assert status["versions"] == {"rabbit@a": {"rabbitmq_version": "3.10.8", "erlang_version": "25"}}


def test_alarms_come_from_the_live_health_check_with_what_it_lists(broker, cli):
    broker.alarm = True
    result = run(api_args(broker, status=True))
    assert result["cluster_status"]["alarms"] == [{"node": NODES[1], "resource": "memory", "type": "resource_alarm"}]
    assert "/api/health/checks/alarms" in broker.requests and cli.calls == []
    broker.alarm = False
    assert run(api_args(broker, status=True))["cluster_status"]["alarms"] == []


@pytest.mark.parametrize("address, expected", [
    ("::", ("127.0.0.1", "::1")), ("0.0.0.0", ("127.0.0.1",)), ("10.0.0.5", ("10.0.0.5",)), (None, ("127.0.0.1",)),
])
def test_listener_addresses(address, expected):
    assert node_health.listener_addresses({"ip_address": address, "port": 5672}) == expected


def test_waiting_for_lists_missing_nodes_and_alarms_only_when_asked():
    status = {"running_nodes": ["rabbit@a"], "alarms": [{"node": "rabbit@a", "resource": "memory"}]}
    assert node_health.waiting_for(status, ["rabbit@a"]) == []
    assert node_health.waiting_for(status, ["rabbit@a", "rabbit@b"], no_alarms=True) == [
        "not listed as running: rabbit@b", 'resource alarm(s): {"node": "rabbit@a", "resource": "memory"}']


def test_a_503_is_a_failed_check_and_other_errors_fall_back():
    class Api(object):
        def __init__(self, error):
            self.error = error

        def get(self, path):
            raise self.error

    calls = []

    def cli(*args):
        calls.append(args)
        return 0, "", ""

    failing = node_health.NodeHealth(Api(ApiError("GET", "/x", 503, "critical")), cli)
    assert failing.check("quorum_plus_one") == "critical" and calls == []
    broken = node_health.NodeHealth(Api(ApiError("GET", "/x", 500, "boom")), cli)
    assert broken.check("quorum_plus_one") is None and len(calls) == 1
    # A 500 is not lasting: the next check tries the API again.
    assert broken.api_problem is None


# --- the node the API answers for ------------------------------------------------


def test_an_api_answering_for_another_node_is_not_used(broker, cli):
    # The URL reaches rabbit@mq1 (a shared name, another host's address) while
    # the node asked about is rabbit@mq2: its view must come from itself.
    result = run(api_args(broker, node=NODES[1], status=True, running=NODES, checks=["virtual_hosts"]))
    assert result["read_from"] == ["cli"]
    assert broker.requests == ["/api/overview"]
    assert result["api_problem"] == "the management API answers for rabbit@mq1, not rabbit@mq2"
    assert cli.calls == ["rabbitmq-diagnostics -n rabbit@mq2 check_virtual_hosts",
                         "rabbitmqctl -n rabbit@mq2 cluster_status --formatter json"]


def test_without_node_the_api_must_answer_for_this_host(broker, cli, monkeypatch):
    monkeypatch.setattr(rabbitmq_node_health.socket, "gethostname", lambda: "mq1.example.com")
    result = run(dict(api_url=broker.url, api_password=PASSWORD, status=True))
    assert result["read_from"] == ["api"] and cli.calls == [] and result["api_problem"] == ""
    monkeypatch.setattr(rabbitmq_node_health.socket, "gethostname", lambda: "mq3")
    result = run(dict(api_url=broker.url, api_password=PASSWORD, status=True))
    assert result["read_from"] == ["cli"] and cli.calls == ["rabbitmqctl cluster_status --formatter json"]


# --- deprecated features in use ---------------------------------------------------


def test_deprecated_features_over_the_api(broker, cli):
    result = run(api_args(broker, deprecated_features=True))
    assert result["deprecated_features_used"] == [] and result["read_from"] == ["api"] and cli.calls == []
    broker.deprecated_used = ["transient_nonexcl_queues", "global_qos"]
    result = run(api_args(broker, deprecated_features=True))
    assert result["deprecated_features_used"] == ["global_qos", "transient_nonexcl_queues"]
    assert result["changed"] is False and "cluster_status" not in result


def test_deprecated_features_from_the_cli(cli):
    result = run(dict(deprecated_features=True))
    assert result["deprecated_features_used"] == [] and result["read_from"] == ["cli"]
    assert cli.calls == ["rabbitmq-diagnostics check_if_any_deprecated_features_are_used --formatter json"]
    cli.deprecated_used = ["transient_nonexcl_queues"]
    assert run(dict(deprecated_features=True))["deprecated_features_used"] == ["transient_nonexcl_queues"]


def test_deprecated_features_on_a_version_without_the_endpoint_use_the_cli(broker, cli):
    broker.missing = {"/api/deprecated-features/used"}
    cli.deprecated_used = ["classic_queue_mirroring"]
    result = run(api_args(broker, deprecated_features=True))
    assert result["deprecated_features_used"] == ["classic_queue_mirroring"] and result["read_from"] == ["cli"]


def test_deprecated_features_unreadable_fail_with_the_cli_output(cli):
    # RabbitMQ 3.12 and older: no such command - not mistaken for feature names.
    cli.failing = {"check_if_any_deprecated_features_are_used"}
    result = run(dict(deprecated_features=True), expect=AnsibleFailJson)
    assert "check_if_any_deprecated_features_are_used --formatter json failed (rc=69): Error:" in result["msg"]


@pytest.mark.parametrize("text, expected", [
    ('{"deprecated_features": ["a_b", "c"], "result": "error"}', ["a_b", "c"]),
    ('{"result": "ok"}', None),
    ("Error: command not found", None),
    ("", None),
    ("[1, 2]", None),
])
def test_deprecated_names(text, expected):
    assert node_health.deprecated_names(text) == expected


# --- a rolling restart's guards, then its wait: one call ---------------------------


def test_guards_that_pass_run_the_checks_and_skip_mirror_sync_on_4x(broker, cli):
    broker.quorum_critical = 2
    result = run(api_args(broker, guards=True, checks=["quorum_plus_one", "mirror_sync"], timeout=60))
    assert result["guards"] == {"members": NODES, "down": [], "alarms": [], "passed": True, "checked": True}
    assert result["rounds"] == 3 and result["read_from"] == ["api"] and cli.calls == []
    # The status was read once, before the checks; 4.3 has no mirrored queues to wait on.
    assert broker.requests.count("/api/nodes?disable_stats=true") == 1
    assert "/api/health/checks/node-is-mirror-sync-critical" not in broker.requests
    assert result["cluster_status"]["running_nodes"] == NODES


def test_guards_that_pass_on_3x_wait_on_mirror_sync_too(cli):
    result = run(dict(guards=True, checks=["quorum_plus_one", "mirror_sync"], node=NODES[0], timeout=60))
    assert result["guards"]["checked"] is True
    assert cli.calls == [
        "rabbitmqctl -n rabbit@mq1 cluster_status --formatter json",
        "rabbitmq-diagnostics -n rabbit@mq1 check_if_node_is_quorum_critical",
        "rabbitmq-diagnostics -n rabbit@mq1 check_if_node_is_mirror_sync_critical",
    ]


@pytest.mark.parametrize("down, alarm", [(True, False), (False, True), (True, True)])
def test_a_failed_guard_returns_at_once_without_waiting(broker, cli, down, alarm):
    broker.quorum_critical = 1000  # would be waited on until the timeout
    broker.running = NODES[:2] if down else list(NODES)
    broker.alarm = alarm
    result = run(api_args(broker, guards=True, checks=["quorum_plus_one"], timeout=300))
    guards = result["guards"]
    assert guards["passed"] is False and guards["checked"] is False
    assert guards["down"] == (["rabbit@mq3"] if down else [])
    assert guards["alarms"] == ([{"node": NODES[1], "resource": "memory", "type": "resource_alarm"}] if alarm else [])
    assert result["rounds"] == 1 and result["seconds"] == 0
    assert "/api/health/checks/node-is-quorum-critical" not in broker.requests and cli.calls == []


def test_guards_on_a_single_node_run_no_check(cli, monkeypatch):
    alone = dict(CLI_STATUS, disk_nodes=NODES[:1], running_nodes=NODES[:1])
    monkeypatch.setitem(globals(), "CLI_STATUS", alone)
    result = run(dict(guards=True, checks=["quorum_plus_one"], node=NODES[0], timeout=60))
    assert result["guards"] == {"members": NODES[:1], "down": [], "alarms": [], "passed": True, "checked": False}
    assert cli.calls == ["rabbitmqctl -n rabbit@mq1 cluster_status --formatter json"]


def test_an_unreadable_cluster_state_fails_the_guards(cli):
    cli.failing = {"cluster_status"}
    result = run(dict(guards=True, checks=["quorum_plus_one"], node=NODES[0]), expect=AnsibleFailJson)
    assert result["msg"].startswith("The node's view of its cluster is unreadable: rabbitmqctl cluster_status failed")
    assert result["read_from"] == ["cli"]


@pytest.mark.parametrize("versions, node, major", [
    ({"rabbit@a": {"rabbitmq_version": "3.13.7"}}, "rabbit@a", 3),
    ({"rabbit@a": {"rabbitmq_version": "4.3.6"}, "rabbit@b": {"rabbitmq_version": "3.13.7"}}, "rabbit@b", 3),
    ({"rabbit@a": {"rabbitmq_version": "4.0.5"}}, "rabbit@other", 4),
    ({}, "rabbit@a", 0),
    ({"rabbit@a": {"rabbitmq_version": "weird"}}, "rabbit@a", 0),
])
def test_guards_from_reads_the_node_version(versions, node, major):
    status = {"disk_nodes": ["rabbit@a"], "ram_nodes": ["rabbit@b"], "running_nodes": ["rabbit@a"], "alarms": [],
              "versions": versions}
    guards = node_health.guards_from(status, node)
    assert guards["major"] == major and guards["down"] == ["rabbit@b"] and guards["members"] == ["rabbit@a", "rabbit@b"]
    assert guards["passed"] is False and guards["checked"] is False
