# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""rabbitmq_node_info: exactly which commands run, per unit state."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
from unittest import mock

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mqops.rabbitmq.plugins.modules import rabbitmq_node_info
from ansible_collections.mqops.rabbitmq.tests.unit.plugins.modules.harness import (
    AnsibleFailJson,
    patch_exits,
    run_module,
)

SHOW = ["/bin/systemctl", "show", "-p", "ActiveState", "-p", "SubState", "-p", "NRestarts",
        "-p", "LoadState", "-p", "UnitFileState", "rabbitmq-server"]
DPKG = ["/usr/bin/dpkg-query", "--show", "--showformat=${Package} ${db:Status-Status} ${Version}\n",
        "rabbitmq-server", "erlang-base"]
STATUS = ["/usr/sbin/rabbitmqctl", "-q", "-n", "rabbit@node1", "-t", "30", "cluster_status", "--formatter", "json"]


@pytest.fixture
def patched(monkeypatch):
    patch_exits(monkeypatch)
    bins = {"systemctl": "/bin/systemctl", "rabbitmqctl": "/usr/sbin/rabbitmqctl", "dpkg-query": "/usr/bin/dpkg-query"}
    monkeypatch.setattr(AnsibleModule, "get_bin_path",
                        mock.Mock(side_effect=lambda name, required=False: bins.get(name)))


INSTALLED = "rabbitmq-server installed 4.0.5-6+deb13u2\nerlang-base installed 1:27.3.4.1+dfsg-1+deb13u1\n"


def answers(monkeypatch, show, status=None, dpkg=(0, INSTALLED, "")):
    replies = {tuple(SHOW): (0, show, ""), tuple(DPKG): dpkg}
    if status is not None:
        replies[tuple(STATUS)] = status
    run = mock.Mock(side_effect=lambda argv: replies[tuple(argv)])
    monkeypatch.setattr(AnsibleModule, "run_command", run)
    return run


def test_running_node_one_cli_call(patched, monkeypatch):
    cluster = {"running_nodes": ["rabbit@node1"], "maintenance_status": {"rabbit@node1": "not under maintenance"}}
    run = answers(monkeypatch, "ActiveState=active\nSubState=running\nNRestarts=0\nLoadState=loaded\n",
                  (0, json.dumps(cluster), ""))
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1"})
    assert [c.args[0] for c in run.call_args_list] == [SHOW, STATUS, DPKG]
    assert result["state"] == "running" and result["cluster_status"] == cluster and not result["changed"]
    assert result["package_version"] == "4.0.5-6+deb13u2"
    assert result["erlang_version"] == "1:27.3.4.1+dfsg-1+deb13u1"


def test_running_node_with_every_client_listener_closed_is_drained(patched, monkeypatch):
    """Drained while its cluster had no majority: cluster_status does not say so yet."""
    listeners = {"rabbit@node1": [{"port": 5672, "protocol": "amqp", "interface": "[::]"},
                                  {"port": 25672, "protocol": "clustering", "interface": "[::]"}]}
    cluster = {"running_nodes": ["rabbit@node1"], "maintenance_status": {}, "listeners": listeners}
    answers(monkeypatch, "ActiveState=active\nSubState=running\nNRestarts=0\nLoadState=loaded\n",
            (0, json.dumps(cluster), ""))
    tried = []
    monkeypatch.setattr(rabbitmq_node_info, "_can_connect", lambda address, port: tried.append((address, port)))
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1"})
    assert result["state"] == "running" and result["maintenance"] is True
    assert result["maintenance_evidence"] == "client listeners closed: amqp 5672"
    assert tried == [("127.0.0.1", 5672), ("::1", 5672)]
    # The same node answering on 5672: not drained.
    monkeypatch.setattr(rabbitmq_node_info, "_can_connect", lambda address, port: True)
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1"})
    assert result["maintenance"] is False and result["maintenance_evidence"] == ""


def test_maintenance_from_cluster_status_needs_no_connection(patched, monkeypatch):
    cluster = {"running_nodes": ["rabbit@node1"], "maintenance_status": {"rabbit@node1": "marked for maintenance"},
               "listeners": {"rabbit@node1": [{"port": 5672, "protocol": "amqp", "interface": "[::]"}]}}
    answers(monkeypatch, "ActiveState=active\nSubState=running\nNRestarts=0\nLoadState=loaded\n",
            (0, json.dumps(cluster), ""))
    monkeypatch.setattr(rabbitmq_node_info, "_can_connect", mock.Mock(side_effect=AssertionError("no probe")))
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1"})
    assert result["maintenance"] is True and result["maintenance_evidence"] == "cluster_status"


def test_stopped_node_no_cli_call(patched, monkeypatch):
    run = answers(monkeypatch, "ActiveState=inactive\nSubState=dead\nNRestarts=0\nLoadState=loaded\n")
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1"})
    assert [c.args[0] for c in run.call_args_list] == [SHOW, DPKG]
    assert result["state"] == "stopped" and result["cluster_status"] is None


def test_restart_loop_reads_the_boot_error(patched, monkeypatch, tmp_path):
    (tmp_path / "rabbit@node1.log").write_text(
        "2026-01-01 00:00:00.0+00:00 [error] <0.1.0> BOOT FAILED\n"
        "2026-01-01 00:00:00.0+00:00 [error] <0.1.0> Error during startup: eaddrinuse\n")
    answers(monkeypatch, "ActiveState=activating\nSubState=auto-restart\nNRestarts=4\nLoadState=loaded\n")
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1", "log_dir": str(tmp_path)})
    assert result["state"] == "restart_loop"
    assert result["boot_error"] == "[eaddrinuse] Error during startup: eaddrinuse"


def test_app_stopped(patched, monkeypatch):
    answers(monkeypatch, "ActiveState=active\nSubState=running\nNRestarts=0\nLoadState=loaded\n",
            (64, "Error: this command requires the 'rabbit' app to be running on the target node.", ""))
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1"})
    assert result["state"] == "app_stopped"
    assert "requires the 'rabbit' app" in result["cli_error"]


def test_systemctl_failure(patched, monkeypatch):
    monkeypatch.setattr(AnsibleModule, "run_command", mock.Mock(return_value=(1, "", "Failed to connect to bus")))
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1"}, expect=AnsibleFailJson)
    assert "Failed to connect to bus" in result["msg"]


def test_not_installed_package_has_no_version(patched, monkeypatch):
    answers(monkeypatch, "ActiveState=inactive\nSubState=dead\nNRestarts=0\nLoadState=not-found\n",
            dpkg=(1, "", "dpkg-query: no packages found matching rabbitmq-server\n"
                         "dpkg-query: no packages found matching erlang-base"))
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1", "cookie_path": "/nonexistent"})
    assert result["state"] == "not_installed" and result["package_version"] == "" and result["cookie_sha256"] == ""
    assert result["erlang_version"] == ""


def test_erlang_without_rabbitmq_and_removed_packages(patched, monkeypatch):
    # dpkg-query exits 1 for the unknown package and still lists the other;
    # a removed package (config files left) is not installed.
    answers(monkeypatch, "ActiveState=inactive\nSubState=dead\nNRestarts=0\nLoadState=not-found\n",
            dpkg=(1, "erlang-base installed 1:25.2.3+dfsg-1+deb12u1\n",
                  "dpkg-query: no packages found matching rabbitmq-server"))
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1", "cookie_path": "/nonexistent"})
    assert result["package_version"] == "" and result["erlang_version"] == "1:25.2.3+dfsg-1+deb12u1"
    answers(monkeypatch, "ActiveState=inactive\nSubState=dead\nNRestarts=0\nLoadState=not-found\n",
            dpkg=(0, "rabbitmq-server config-files 3.10.8-1.1+deb12u1\nerlang-base not-installed \n", ""))
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1", "cookie_path": "/nonexistent"})
    assert result["package_version"] == "" and result["erlang_version"] == ""


def test_cookie_checksum_never_the_value(patched, monkeypatch, tmp_path):
    cookie = tmp_path / "cookie"
    cookie.write_text("SECRETCOOKIEVALUE0123456789")
    answers(monkeypatch, "ActiveState=inactive\nSubState=dead\nNRestarts=0\nLoadState=loaded\n")
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1", "cookie_path": str(cookie)})
    assert result["cookie_sha256"] == "c8861507e5394c41fcd037e8e15a4248ecd5e1a93237f5aec6dccc5e18cf50a9"
    assert "SECRETCOOKIEVALUE" not in repr(result)


@pytest.mark.parametrize("limits, status, expected", [
    ("Max open files            20000                20000                files\n", "CapEff:\t00000000a80425fb\n",
     {"hard": "20000", "can_raise": False}),
    ("Max open files            1048576              1048576              files\n", "CapEff:\t000001ffffffffff\n",
     {"hard": "1048576", "can_raise": True}),
    ("", "", {"hard": "", "can_raise": False}),
])
def test_pid1_nofile(limits, status, expected):
    assert rabbitmq_node_info.pid1_nofile(limits, status) == expected


def test_shipped_plugins_from_directory_entries():
    entries = ["rabbit-4.3.6", "rabbit_common-4.3.6", "rabbitmq_prelaunch-4.3.6", "cowboy-2.12.0",
               "rabbitmq_management-4.3.6", "rabbitmq_queue_federation-4.3.6", "rabbitmq_shovel-3.10.8.ez",
               "README", "rabbitmq_web_dispatch-4.3.6"]
    assert rabbitmq_node_info.shipped_plugins(entries) == [
        "rabbitmq_management", "rabbitmq_queue_federation", "rabbitmq_shovel", "rabbitmq_web_dispatch"]


def test_client_files_are_checked_without_running_anything_more(patched, monkeypatch, pki):
    show = "ActiveState=inactive\nSubState=dead\nNRestarts=0\nLoadState=loaded\n"
    run = answers(monkeypatch, show)
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1", "client_cert": pki["client.pem"],
                                                  "client_key": pki["client.key"]})
    assert result["client_files"] == []
    assert [c.args[0] for c in run.call_args_list] == [SHOW, DPKG]
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1", "client_cert": pki["client.pem"],
                                                  "client_key": pki["stranger.key"]})
    assert result["client_files"] == [dict(
        option="client_key", path=pki["stranger.key"],
        problem="not the private key of the certificate in %s (their public keys differ)" % pki["client.pem"])]
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1", "client_cert": "/nonexistent/c.pem",
                                                  "client_key": "/nonexistent/c.key"})
    assert result["client_files"] == [
        dict(option="client_cert", path="/nonexistent/c.pem", problem="no such file"),
        dict(option="client_key", path="/nonexistent/c.key", problem="no such file")]
    assert run_module(rabbitmq_node_info.main, {"node": "rabbit@node1"})["client_files"] == []


# --- the node's view over its management API ---------------------------------------

ACTIVE = "ActiveState=active\nSubState=running\nNRestarts=0\nLoadState=loaded\n"
API = {"api_url": "http://127.0.0.1:15672", "api_password": "info-Pa55word", "node": "rabbit@node1"}


class FakeApi(object):
    """ManagementApi's get() from canned answers; an ApiError instance is raised."""

    answers = {}
    made = []

    def __init__(self, url, user, password, **kwargs):
        FakeApi.made.append(dict(kwargs, url=url, user=user))
        self.requests = []

    def get(self, path):
        self.requests.append(path)
        answer = self.answers[path]
        if isinstance(answer, Exception):
            raise answer
        return answer


def broker_answers(drained=False, being_drained=True, serving="rabbit@node1", partitions=()):
    nodes = [{"name": n, "type": "disc", "running": True} for n in ("rabbit@node1", "rabbit@node2")]
    if being_drained:
        for entry in nodes:
            entry["being_drained"] = drained and entry["name"] == "rabbit@node1"
    return {
        "/api/overview": {"node": serving, "cluster_name": "prod", "rabbitmq_version": "4.3.6", "erlang_version": "29",
                          "listeners": [{"node": "rabbit@node1", "protocol": "amqp", "ip_address": "::", "port": 5672},
                                        {"node": "rabbit@node2", "protocol": "amqp", "ip_address": "::", "port": 5672}]},
        "/api/nodes?disable_stats=true": nodes,
        "/api/health/checks/alarms": {"status": "ok"},
        "/api/feature-flags": [{"name": "khepri_db", "state": "enabled", "stability": "stable", "desc": "Khepri",
                                "provided_by": "rabbit", "callbacks": []}],
        "/api/nodes?columns=name,partitions": [{"name": "rabbit@node1", "partitions": list(partitions)},
                                               {"name": "rabbit@node2", "partitions": []}],
    }


@pytest.fixture
def api(patched, monkeypatch):
    FakeApi.made = []
    FakeApi.answers = broker_answers()
    monkeypatch.setattr(rabbitmq_node_info, "ManagementApi", FakeApi)
    monkeypatch.setattr(rabbitmq_node_info, "_can_connect", lambda address, port: True)
    return FakeApi


def test_running_node_over_the_api_starts_no_erlang_vm(api, monkeypatch):
    run = answers(monkeypatch, ACTIVE)
    result = run_module(rabbitmq_node_info.main, API)
    assert [c.args[0] for c in run.call_args_list] == [SHOW, DPKG]
    assert result["read_from"] == "api" and result["api_problem"] == ""
    assert result["state"] == "running" and result["maintenance"] is False
    status = result["cluster_status"]
    assert status["disk_nodes"] == ["rabbit@node1", "rabbit@node2"] and status["running_nodes"] == status["disk_nodes"]
    assert status["feature_flags"] == [{"name": "khepri_db", "state": "enabled", "stability": "stable", "desc": "Khepri"}]
    assert status["partitions"] == {} and status["alarms"] == [] and status["cluster_name"] == "prod"
    assert status["listeners"]["rabbit@node1"] == [{"interface": "::", "port": 5672, "protocol": "amqp"}]
    assert status["versions"] == {"rabbit@node1": {"rabbitmq_version": "4.3.6", "erlang_version": "29"}}
    assert "info-Pa55word" not in json.dumps(result)
    assert api.made[0]["use_proxy"] is False


def test_drained_node_and_partitions_over_the_api(api, monkeypatch):
    api.answers = broker_answers(drained=True, partitions=["rabbit@node2"])
    answers(monkeypatch, ACTIVE)
    monkeypatch.setattr(rabbitmq_node_info, "_can_connect", mock.Mock(side_effect=AssertionError("no probe")))
    result = run_module(rabbitmq_node_info.main, API)
    assert result["maintenance"] is True and result["maintenance_evidence"] == "cluster_status"
    assert result["cluster_status"]["partitions"] == {"rabbit@node1": ["rabbit@node2"]}


def test_drained_node_with_its_mark_not_committed_is_found_by_its_closed_listeners(api, monkeypatch):
    answers(monkeypatch, ACTIVE)
    monkeypatch.setattr(rabbitmq_node_info, "_can_connect", lambda address, port: False)
    result = run_module(rabbitmq_node_info.main, API)
    assert result["read_from"] == "api" and result["maintenance"] is True
    assert result["maintenance_evidence"] == "client listeners closed: amqp 5672"


@pytest.mark.parametrize("answers_for, problem", [
    # RabbitMQ before 3.13: /api/nodes does not say which node is drained.
    (dict(being_drained=False), "the management API does not say which nodes are drained (RabbitMQ before 3.13)"),
    # The URL reaches another member.
    (dict(serving="rabbit@node2"), "the management API answers for rabbit@node2, not rabbit@node1"),
])
def test_the_cli_answers_when_the_api_cannot(api, monkeypatch, answers_for, problem):
    api.answers = broker_answers(**answers_for)
    cluster = {"running_nodes": ["rabbit@node1"], "maintenance_status": {"rabbit@node1": "not under maintenance"}}
    run = answers(monkeypatch, ACTIVE, (0, json.dumps(cluster), ""))
    result = run_module(rabbitmq_node_info.main, API)
    assert [c.args[0] for c in run.call_args_list] == [SHOW, STATUS, DPKG]
    assert result["read_from"] == "cli" and result["api_problem"] == problem
    assert result["cluster_status"] == cluster and result["state"] == "running"


def test_a_stopped_application_refuses_the_connection_and_the_cli_says_why(api, monkeypatch):
    from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import ApiError
    api.answers = {"/api/overview": ApiError("GET", "/api/overview", None, "[Errno 111] Connection refused")}
    answers(monkeypatch, ACTIVE, (64, "", "Error: this command requires the 'rabbit' app to be running on the target node."))
    result = run_module(rabbitmq_node_info.main, API)
    assert result["state"] == "app_stopped" and result["read_from"] == "cli"
    assert result["api_problem"] == "GET /api/overview: cannot reach the management API: [Errno 111] Connection refused"


def test_a_refused_login_falls_back_and_never_shows_the_password(api, monkeypatch):
    from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import ApiError
    api.answers = {"/api/overview": ApiError("GET", "/api/overview", 401, "Login failed")}
    cluster = {"running_nodes": ["rabbit@node1"]}
    answers(monkeypatch, ACTIVE, (0, json.dumps(cluster), ""))
    result = run_module(rabbitmq_node_info.main, API)
    assert result["read_from"] == "cli" and result["api_problem"] == "GET /api/overview: HTTP 401: Login failed"
    assert "info-Pa55word" not in json.dumps(result)


def test_stopped_node_is_not_asked_over_the_api(api, monkeypatch):
    run = answers(monkeypatch, "ActiveState=inactive\nSubState=dead\nNRestarts=0\nLoadState=loaded\n")
    result = run_module(rabbitmq_node_info.main, API)
    assert api.made == [] and [c.args[0] for c in run.call_args_list] == [SHOW, DPKG]
    assert result["read_from"] == "" and result["state"] == "stopped"


def test_unusable_tls_files_send_the_read_to_the_cli(api, monkeypatch, tmp_path):
    cluster = {"running_nodes": ["rabbit@node1"]}
    answers(monkeypatch, ACTIVE, (0, json.dumps(cluster), ""))
    missing = str(tmp_path / "ca.pem")
    result = run_module(rabbitmq_node_info.main, dict(API, api_url="https://node1:15671", ca_path=missing))
    assert api.made == [] and result["read_from"] == "cli"
    assert result["api_problem"] == "ca_path %s: no such file" % missing


# --- deprecated features in use, with the same read --------------------------------


def test_deprecated_features_come_with_the_api_read(api, monkeypatch):
    api.answers = dict(broker_answers(), **{"/api/deprecated-features/used": [
        {"name": "transient_nonexcl_queues", "deprecation_phase": "permitted_by_default"},
        {"name": "global_qos", "deprecation_phase": "permitted_by_default"}]})
    run = answers(monkeypatch, ACTIVE)
    result = run_module(rabbitmq_node_info.main, dict(API, deprecated_features=True))
    assert [c.args[0] for c in run.call_args_list] == [SHOW, DPKG]
    assert result["read_from"] == "api"
    assert result["deprecated_features_used"] == ["global_qos", "transient_nonexcl_queues"]
    assert "deprecated_features_used" not in result["cluster_status"]
    # Not asked: not read.
    api.answers["/api/deprecated-features/used"] = AssertionError("not to be read")
    assert run_module(rabbitmq_node_info.main, API)["deprecated_features_used"] is None


def test_deprecated_features_unread_are_null_never_a_cli_call(api, monkeypatch):
    from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import ApiError
    path = "/api/deprecated-features/used"
    api.answers = dict(broker_answers(), **{path: ApiError("GET", path, 500, "Internal Server Error")})
    run = answers(monkeypatch, ACTIVE)
    result = run_module(rabbitmq_node_info.main, dict(API, deprecated_features=True))
    assert [c.args[0] for c in run.call_args_list] == [SHOW, DPKG]
    assert result["read_from"] == "api" and result["deprecated_features_used"] is None
    # The CLI answered for the node (a 3.12 API): nothing read, no extra CLI call.
    api.answers = broker_answers(being_drained=False)
    run = answers(monkeypatch, ACTIVE, (0, json.dumps({"running_nodes": ["rabbit@node1"]}), ""))
    result = run_module(rabbitmq_node_info.main, dict(API, deprecated_features=True))
    assert [c.args[0] for c in run.call_args_list] == [SHOW, STATUS, DPKG]
    assert result["read_from"] == "cli" and result["deprecated_features_used"] is None


# --- the declared users, compared over the API ---------------------------------------

def _user_answers(password="info-Pa55word", tags="administrator", guest=False, configure=".*"):
    from ansible_collections.mqops.rabbitmq.plugins.module_utils.password import hash_password
    users = [{"name": "admin", "password_hash": hash_password(password, "rabbit_password_hashing_sha256"),
              "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": [tags], "limits": {}}]
    if guest:
        users.append({"name": "guest", "password_hash": "", "hashing_algorithm": "rabbit_password_hashing_sha256",
                      "tags": ["administrator"], "limits": {}})
    return {
        "/api/users": users,
        "/api/permissions": [{"user": "admin", "vhost": "/", "configure": configure, "write": ".*", "read": ".*"}],
        "/api/vhosts": [{"name": "/"}],
    }


DECLARED = [{"name": "admin", "password": "info-Pa55word", "tags": ["administrator"], "permissions": [{"vhost": "/"}]},
            {"name": "guest", "state": "absent"}]


@pytest.mark.parametrize("holds, expected", [
    ({}, True),
    ({"password": "an-older-Pa55word"}, False),
    ({"tags": "management"}, False),
    ({"guest": True}, False),
    ({"configure": "^amq"}, False),
])
def test_the_declared_users_are_compared_over_the_api(api, monkeypatch, holds, expected):
    api.answers.update(_user_answers(**holds))
    answers(monkeypatch, ACTIVE)
    result = run_module(rabbitmq_node_info.main, dict(API, users=DECLARED))
    assert result["users_unchanged"] is expected
    assert "info-Pa55word" not in json.dumps(result)


def test_the_users_are_not_read_without_the_option_nor_when_the_cli_answers(api, monkeypatch):
    from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import ApiError
    asked = []
    answer = FakeApi.get

    def get(self, path):
        asked.append(path)
        return answer(self, path)

    monkeypatch.setattr(api, "get", get)
    api.answers.update(_user_answers())
    answers(monkeypatch, ACTIVE)
    result = run_module(rabbitmq_node_info.main, API)
    assert result["users_unchanged"] is False and "/api/users" not in asked

    cluster = {"running_nodes": ["rabbit@node1"], "maintenance_status": {"rabbit@node1": "not under maintenance"}}
    api.answers["/api/overview"] = ApiError("GET", "/api/overview", 401, "Login failed")
    answers(monkeypatch, ACTIVE, (0, json.dumps(cluster), ""))
    del asked[:]
    result = run_module(rabbitmq_node_info.main, dict(API, users=DECLARED))
    assert result["read_from"] == "cli" and result["users_unchanged"] is False and "/api/users" not in asked


def test_a_failed_users_read_means_changed_not_an_error(api, monkeypatch):
    from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import ApiError
    api.answers.update(_user_answers())
    api.answers["/api/permissions"] = ApiError("GET", "/api/permissions", 500, "boom")
    answers(monkeypatch, ACTIVE)
    result = run_module(rabbitmq_node_info.main, dict(API, users=DECLARED))
    assert result["read_from"] == "api" and result["users_unchanged"] is False


def test_fingerprints_of_the_configuration_paths_without_their_contents(patched, monkeypatch, tmp_path):
    conf = tmp_path / "rabbitmq.conf"
    conf.write_text("cluster_name = secret-looking\n")
    os.chmod(str(conf), 0o640)
    run = answers(monkeypatch, "ActiveState=inactive\nSubState=dead\nNRestarts=0\nLoadState=loaded\n")
    result = run_module(rabbitmq_node_info.main, {"node": "rabbit@node1",
                                                  "fingerprints": [str(conf), str(tmp_path), str(tmp_path / "none")]})
    assert [c.args[0] for c in run.call_args_list] == [SHOW, DPKG]
    prints = result["fingerprints"]
    assert prints[str(conf)]["kind"] == "file" and prints[str(conf)]["mode"] == 0o640
    assert prints[str(conf)]["sha256"] == hashlib.sha256(b"cluster_name = secret-looking\n").hexdigest()
    assert prints[str(tmp_path)]["kind"] == "directory" and "sha256" not in prints[str(tmp_path)]
    assert prints[str(tmp_path / "none")]["kind"] is None
    assert "secret-looking" not in json.dumps(result)
