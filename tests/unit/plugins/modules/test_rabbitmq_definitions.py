# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for the rabbitmq_definitions module (HTTP is mocked: no broker, no network)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import importlib
import io
import json
from urllib.error import HTTPError, URLError

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mqops.rabbitmq.plugins.module_utils import http_api
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions import planning
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.registry import KINDS
from ansible_collections.mqops.rabbitmq.plugins.module_utils.password import hash_password, password_matches
from ansible_collections.mqops.rabbitmq.plugins.modules import rabbitmq_definitions
from ansible_collections.mqops.rabbitmq.tests.unit.plugins.modules import module_docs
from ansible_collections.mqops.rabbitmq.tests.unit.plugins.modules.harness import patch_module_args
from ansible_collections.mqops.rabbitmq.tests.unit.plugins.modules.stateful_broker import (
    StatefulBroker,
    same_definitions,
)

API = "http://127.0.0.1:15672"
API_PASSWORD = "api-Secret-pw"


class AnsibleExitJson(Exception):
    """Raised instead of exit_json's sys.exit; carries the result."""


class AnsibleFailJson(Exception):
    """Raised instead of fail_json's sys.exit; carries the result."""


def exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    kwargs["_no_log_values"] = set(self.no_log_values)
    raise AnsibleExitJson(kwargs)


def fail_json(self, **kwargs):
    kwargs["failed"] = True
    kwargs["_no_log_values"] = set(self.no_log_values)
    raise AnsibleFailJson(kwargs)


class Response(object):
    def __init__(self, body):
        self.body = body

    def read(self):
        return self.body

    def close(self):
        pass


class FakeBroker(object):
    """Stands in for open_url: answers GETs from fixtures, records every request and its TLS options."""

    def __init__(self, export, vhost_details=None, failures=None, bindings=None, nodes=None):
        self.export = export
        self.vhost_details = vhost_details
        self.failures = failures or {}
        self.bindings = bindings or {}
        self.nodes = nodes  # None: GET /api/nodes is unexpected
        self.sent = []
        self.options = []

    def __call__(self, url, data=None, headers=None, method=None, **options):
        assert url.startswith(API + "/api/")
        path = url[len(API):]
        body = json.loads(data.decode("utf-8")) if data else None
        self.sent.append((method, path, body))
        self.options.append(options)
        if (method, path) in self.failures:
            status, text = self.failures[(method, path)]
            if status is None:
                raise URLError(text)
            raise HTTPError(url, status, "error", {}, io.BytesIO(text.encode()))
        if method == "GET" and path == "/api/definitions":
            return Response(json.dumps(self.export).encode())
        if method == "GET" and path.startswith("/api/vhosts?"):
            return Response(json.dumps(self.vhost_details).encode())
        if method == "GET" and path.startswith("/api/bindings/"):
            return Response(json.dumps(self.bindings.get(path, [])).encode())
        if method == "GET" and path == "/api/nodes?columns=name" and self.nodes is not None:
            return Response(json.dumps([{"name": "rabbit@%s" % n} for n in self.nodes]).encode())
        assert method != "GET", "unexpected GET %s" % path
        return Response(b"")

    def lines(self):
        return ["%s %s" % (m, p) for m, p, _b in self.sent]


@pytest.fixture
def broker(monkeypatch, rmq):
    def install(version="4.0.5", **options):
        export = rmq.make_export(version)
        details = rmq.make_vhost_details() if version.startswith("3.10") else None
        fake = FakeBroker(export, details, **options)
        monkeypatch.setattr(http_api, "open_url", fake)
        return fake

    monkeypatch.setattr(AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(AnsibleModule, "fail_json", fail_json)
    return install


def run_module(args, expect=AnsibleExitJson):
    args = dict(args)
    args.setdefault("api_password", API_PASSWORD)
    with patch_module_args(args):
        with pytest.raises(expect) as excinfo:
            rabbitmq_definitions.main()
    return excinfo.value.args[0]


def module_args(rmq):
    """make_desired() in the module's own option names (they already are)."""
    return copy.deepcopy(rmq.make_desired())


# --- no-op, check mode, diff -----------------------------------------------------------------


def test_noop_is_one_get(broker, rmq):
    fake = broker("4.0.5")
    result = run_module(module_args(rmq))
    assert result["changed"] is False
    assert fake.lines() == ["GET /api/definitions"]
    assert result["api_calls"] == ["GET /api/definitions"]
    assert result["requests"] == [] and result["changes"] == [] and result["summary"] == {}
    assert result["rabbitmq_version"] == "4.0.5"
    assert "diff" not in result


def test_noop_on_310_reads_the_vhost_metadata_too(broker, rmq, monkeypatch):
    fake = broker("3.10.8")
    warnings = []
    monkeypatch.setattr(AnsibleModule, "warn", lambda self, text: warnings.append(text))
    result = run_module(module_args(rmq))
    assert result["changed"] is False
    # The export has a federation upstream set (rabbitmq-server#11612).
    assert len(warnings) == 1 and "rabbitmq-server#11612" in warnings[0]
    assert fake.lines() == ["GET /api/definitions", "GET /api/vhosts?columns=name,description,tags,metadata"]
    assert result["rabbitmq_version"] == "3.10.8"


def test_noop_in_diff_mode_has_an_empty_diff(broker, rmq):
    broker("4.0.5")
    result = run_module(dict(module_args(rmq), _ansible_diff=True))
    assert result["diff"] == {"before": {}, "after": {}}


def changed_args(rmq):
    args = module_args(rmq)
    args["users"].append({"name": "new", "password": "New-Secret", "tags": ["management"]})
    args["users"][0]["password"] = "Rotated-Secret"
    args["permissions"].append({"user": "new", "vhost": "shop", "configure": "^$"})
    args["policies"][0]["definition"] = {"message-ttl": 1000}
    args["federation_upstreams"][0]["uri"] = ["amqp://fed:Changed-Secret@dc1.example/shop"]
    args["global_parameters"] = [{"name": "color", "state": "absent"}]
    args["users"].append({"name": "legacy", "state": "absent"})
    args["users"] = [u for u in args["users"] if u["name"] != "legacy" or u.get("state")]
    return args


def test_check_mode_reports_exactly_what_would_change_and_sends_nothing(broker, rmq):
    fake = broker("4.0.5")
    result = run_module(dict(changed_args(rmq), _ansible_check_mode=True, _ansible_diff=True))
    assert result["changed"] is True
    assert fake.lines() == ["GET /api/definitions"]
    assert [(c["kind"], c["object"], c["action"]) for c in result["changes"]] == [
        ("users", "users[app]", "update"),
        ("users", "users[legacy]", "delete"),
        ("users", "users[new]", "create"),
        ("permissions", "permissions[user=new, vhost=shop]", "create"),
        ("policies", "policies[vhost=shop, name=ttl]", "update"),
        ("global_parameters", "global_parameters[color]", "delete"),
        ("federation_upstreams", "federation_upstreams[vhost=shop, name=dc1]", "update"),
    ]
    assert result["requests"] == [
        "POST /api/definitions",
        "DELETE /api/global-parameters/color",
        "POST /api/users/bulk-delete",
    ]
    assert result["summary"]["users"] == {"update": 1, "delete": 1, "create": 1}
    diff = result["diff"]
    assert diff["before"]["users"]["app"] == {"tags": ["management"], "password": "(previous)"}
    assert diff["after"]["users"]["app"] == {"tags": ["management"], "password": "(changed)"}
    assert diff["after"]["federation_upstreams"]["vhost=shop, name=dc1"]["uri"] == (
        "amqp://fed:********@dc1.example/shop"
    )
    assert diff["before"]["policies"]["vhost=shop, name=ttl"]["definition"] == {"message-ttl": 60000}
    assert diff["after"]["policies"]["vhost=shop, name=ttl"]["definition"] == {"message-ttl": 1000}


def test_check_mode_on_310(broker, rmq):
    fake = broker("3.10.8")
    result = run_module(dict(changed_args(rmq), _ansible_check_mode=True))
    assert result["changed"] is True
    assert [m for m, _p, _b in fake.sent] == ["GET", "GET"]


# --- applying ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["3.10.8", "4.0.5"])
def test_apply_sends_one_import_and_targeted_deletes(broker, rmq, version):
    fake = broker(version)
    result = run_module(changed_args(rmq))
    assert result["changed"] is True
    reads = ["GET /api/definitions"]
    if version.startswith("3.10"):
        reads.append("GET /api/vhosts?columns=name,description,tags,metadata")
    assert fake.lines() == reads + [
        "POST /api/definitions",
        "DELETE /api/global-parameters/color",
        "POST /api/users/bulk-delete",
    ]
    assert result["api_calls"] == fake.lines()
    document = fake.sent[len(reads)][2]
    assert sorted(document) == ["parameters", "permissions", "policies", "users"]
    users = dict((u["name"], u) for u in document["users"])
    assert sorted(users) == ["app", "new"]
    # A new salted hash for the rotated password; the plain password is never sent.
    assert password_matches("Rotated-Secret", users["app"]["password_hash"], users["app"]["hashing_algorithm"])
    assert password_matches("New-Secret", users["new"]["password_hash"], users["new"]["hashing_algorithm"])
    everything_sent = json.dumps(fake.sent)
    for secret in ("Rotated-Secret", "New-Secret", API_PASSWORD):
        assert secret not in everything_sent
    assert document["permissions"] == [
        {"user": "new", "vhost": "shop", "configure": "^$", "write": ".*", "read": ".*"},
    ]
    assert document["policies"] == [
        {"vhost": "shop", "name": "ttl", "pattern": "^orders", "apply-to": "queues", "priority": 1,
         "definition": {"message-ttl": 1000}},
    ]
    assert document["parameters"] == [
        {"vhost": "shop", "component": "federation-upstream", "name": "dc1",
         "value": {"uri": "amqp://fed:Changed-Secret@dc1.example/shop", "ack-mode": "on-confirm", "max-hops": 1}},
    ]
    assert fake.sent[-1][2] == {"users": ["legacy"]}


def test_binding_deletion_looks_up_its_key(broker, rmq):
    listing_path = "/api/bindings/shop/e/events/q/orders.q"
    fake = broker("4.0.5", bindings={listing_path: [
        {"routing_key": "x", "arguments": {"x-match": "all"}, "properties_key": "x~Zm9v"},
    ]})
    args = {"bindings": [{"vhost": "shop", "source": "events", "destination": "orders.q", "routing_key": "x",
                          "arguments": {"x-match": "all"}, "state": "absent"}]}
    result = run_module(args)
    assert fake.lines() == [
        "GET /api/definitions",
        "GET " + listing_path,
        "DELETE " + listing_path + "/x~Zm9v",
    ]
    assert result["requests"] == ["DELETE " + listing_path + "/{props}"]


def test_purge_never_removes_the_api_user(broker, rmq):
    fake = broker("4.0.5")
    result = run_module({"api_user": "admin", "purge": {"users": True}, "protected_users": ["legacy"]})
    assert fake.sent[-1] == ("POST", "/api/users/bulk-delete", {"users": ["app"]})
    assert result["changed"] is True


def test_purge_defaults_to_false_for_every_kind(broker, rmq):
    fake = broker("4.0.5")
    with patch_module_args({"api_password": API_PASSWORD, "purge": {"queues": True}}):
        with pytest.raises(AnsibleExitJson):
            rabbitmq_definitions.main()
    # Only queues: the federation plugin's queue is protected.
    assert fake.lines() == [
        "GET /api/definitions",
        "DELETE /api/queues/shop/old",
        "DELETE /api/queues/shop/orders",
        "DELETE /api/queues/shop/orders.q",
    ]


# --- failures ------------------------------------------------------------------------------------


def test_invalid_definitions_fail_before_any_change(broker, rmq):
    fake = broker("4.0.5")
    args = {
        "policies": [{"name": "ha", "pattern": ".", "definition": {"ha-mode": "all"}}],
        "permissions": [{"user": "app", "vhost": "nowhere", "read": "(("}],
        "users": [{"name": "new", "password": "Secret-1"}],
    }
    result = run_module(args, expect=AnsibleFailJson)
    assert fake.lines() == ["GET /api/definitions"]
    assert result["msg"].startswith("invalid definitions, nothing was changed: ")
    assert result["errors"] == [
        "permissions[user=app, vhost=nowhere].read: invalid regular expression '((': missing ), unterminated"
        " subpattern at position 1",
        "policies[vhost=/, name=ha].definition: 'ha-mode' is not available on RabbitMQ 4.0.5: classic queue"
        " mirroring was removed in 4.0 (use quorum queues)",
        "permissions[user=app, vhost=nowhere].vhost: virtual host 'nowhere' is neither declared nor existing",
    ]
    assert result["changes"] == []


def test_ha_policy_is_fine_on_310(broker, rmq):
    fake = broker("3.10.8")
    run_module({"policies": [{"name": "ha", "pattern": ".", "definition": {"ha-mode": "all"}}]})
    assert fake.lines()[-1] == "POST /api/definitions"


def test_unreachable_api_fails_with_the_reason(broker, rmq):
    broker("4.0.5", failures={("GET", "/api/definitions"): (None, "[Errno 111] Connection refused")})
    result = run_module({}, expect=AnsibleFailJson)
    assert result["msg"] == (
        "reading the broker state failed: GET /api/definitions: cannot reach the management API:"
        " [Errno 111] Connection refused"
    )


def test_timeout_during_the_import_hints_at_a_rerun(broker, rmq):
    broker("4.0.5", failures={("POST", "/api/definitions"): (None, "timed out")})
    result = run_module(changed_args(rmq), expect=AnsibleFailJson)
    assert result["msg"].startswith("applying the definitions failed: POST /api/definitions: cannot reach the"
                                    " management API: timed out (the broker may still be applying")
    assert "raise api_timeout" in result["msg"]


def test_authentication_failure(broker, rmq):
    broker("4.0.5", failures={("GET", "/api/definitions"): (401, '{"error":"not_authorized",'
                                                                 '"reason":"Login failed"}')})
    result = run_module({}, expect=AnsibleFailJson)
    assert result["msg"].endswith("HTTP 401: Login failed")


def test_import_refused_is_read_again_and_reported_with_what_was_planned(broker, rmq):
    fake = broker("4.0.5", failures={("POST", "/api/definitions"): (400, '{"error":"bad_request",'
                                                                      '"reason":"Validation failed"}')})
    result = run_module(changed_args(rmq), expect=AnsibleFailJson)
    # An import may be refused half-way: the broker is read again; this fake
    # applied nothing, so there is nothing to revert and no deletion follows.
    assert result["msg"] == (
        "applying the definitions failed: POST /api/definitions: HTTP 400: Validation failed; request 1 of 3;"
        " applied before it: nothing; nothing to revert (read again, the broker is as before this run)"
    )
    assert fake.lines() == ["GET /api/definitions", "POST /api/definitions", "GET /api/definitions"]
    assert result["changes"] and result["applied"] == [] and result["reverted"] == []
    assert result["failed_request"] == "POST /api/definitions"
    assert "users[new]" in result["failed_objects"]


def test_queue_that_cannot_change_names_the_queue(broker, rmq):
    fake = broker("4.0.5")
    result = run_module({"queues": [{"name": "orders", "vhost": "shop", "type": "quorum"}]}, expect=AnsibleFailJson)
    assert result["errors"][0].startswith("queues[vhost=shop, name=orders]: cannot change type")
    assert fake.lines() == ["GET /api/definitions"]


def test_recreate_of_a_queue_with_messages_fails_cleanly(broker, rmq):
    path = "/api/queues/shop/orders?if-empty=true"
    fake = broker("4.0.5", failures={("DELETE", path): (400, '{"error":"bad_request",'
                                                          '"reason":"queue \'orders\' in vhost \'shop\' not empty"}')})
    result = run_module({"queues": [{"name": "orders", "vhost": "shop", "type": "quorum"}], "recreate_queues": True},
                        expect=AnsibleFailJson)
    assert result["msg"].endswith("HTTP 400: queue 'orders' in vhost 'shop' not empty")
    assert fake.lines() == ["GET /api/definitions", "DELETE " + path]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"queues": [{"name": "q", "type": "lazy"}]}, "value of type must be one of"),
        ({"vhosts": [{"name": "q", "default_queue_type": "lazy"}]}, "value of default_queue_type must be one of"),
        ({"users": [{"name": "new", "password": "Secret-pw-1", "password_hash": "HASH"}]},
         "parameters are mutually exclusive: password|password_hash found in users"),
        ({"users": [{"name": "new", "password": "Secret-pw-1", "hashing_algorithm": "rabbit_password_hashing_sha384"}]},
         "value of hashing_algorithm must be one of"),
        ({"federation_upstreams": [{"name": "u", "uri": ["amqp://x"], "ack_mode": "later"}]},
         "value of ack_mode must be one of"),
        ({"shovels": [{"name": "s", "src_uri": ["amqp://"], "src_queue": "a", "dest_uri": ["amqp://"],
                       "dest_queue": "b", "ack_mode": "eventually"}]}, "value of ack_mode must be one of"),
        ({"bindings": [{"source": "x", "destination": "q", "destination_type": "topic"}]},
         "value of destination_type must be one of"),
        ({"users": [{"password": "x"}]}, "missing required arguments: name"),
        ({"purge": {"everything": True}}, "Unsupported parameters"),
        ({"vhost_limits": [{"vhost": "/", "max_queues": "many"}]}, "max_queues"),
    ],
)
def test_invalid_arguments_fail_before_any_request(broker, rmq, args, message):
    fake = broker("4.0.5")
    result = run_module(args, expect=AnsibleFailJson)
    assert message in result["msg"]
    assert fake.sent == []


def test_api_password_is_required(broker, rmq):
    broker("4.0.5")
    with patch_module_args({}):
        with pytest.raises(AnsibleFailJson) as excinfo:
            rabbitmq_definitions.main()
    assert "api_password" in excinfo.value.args[0]["msg"]


# --- user tags, password length, quorum group sizes ---------------------------------------------------

TAGS_ALLOWED = (
    "allowed: administrator, impersonator, management, monitoring, policymaker (or list it in extra_user_tags)"
)


def test_unknown_user_tag_fails_before_any_change(broker, rmq):
    fake = broker("4.0.5")
    result = run_module({"users": [{"name": "ops", "password": "Ops-Secret-pw", "tags": ["admin"]}]},
                        expect=AnsibleFailJson)
    assert result["errors"] == ["users[ops].tags: unknown tag 'admin'; " + TAGS_ALLOWED]
    assert result["msg"] == "invalid definitions, nothing was changed: users[ops].tags: unknown tag 'admin'; " + (
        TAGS_ALLOWED)
    assert fake.lines() == ["GET /api/definitions"]


def test_extra_user_tags_are_accepted(broker, rmq):
    fake = broker("4.0.5")
    run_module({"users": [{"name": "ops", "password": "Ops-Secret-pw", "tags": ["management", "oauth-ops"]}],
                "extra_user_tags": ["oauth-ops"]})
    assert fake.lines() == ["GET /api/definitions", "POST /api/definitions"]
    assert fake.sent[-1][2]["users"][0]["tags"] == ["management", "oauth-ops"]


def test_short_password_fails_and_is_never_shown(broker, rmq):
    fake = broker("4.0.5")
    args = module_args(rmq)  # app-Pa55word (12 characters), legacy-pw (9)
    args["users"].append({"name": "bob", "password": "Bob-Secret", "tags": ["management"]})
    result = run_module(dict(args, min_password_length=12), expect=AnsibleFailJson)
    assert result["errors"] == [
        "users[bob].password: shorter than min_password_length (12 characters); the value is not shown",
        "users[legacy].password: shorter than min_password_length (12 characters); the value is not shown",
    ]
    assert fake.lines() == ["GET /api/definitions"]
    no_log = result.pop("_no_log_values")
    assert "Bob-Secret" in no_log
    shown = json.dumps(result)
    for secret in ("Bob-Secret", rmq.LEGACY_PASSWORD, rmq.APP_PASSWORD, API_PASSWORD):
        assert secret not in shown


def test_min_password_length_defaults_to_no_check(broker, rmq):
    spec = rabbitmq_definitions.ARGUMENT_SPEC["min_password_length"]
    assert spec == {"type": "int", "default": 0, "no_log": False}
    broker("4.0.5")
    assert run_module(dict(module_args(rmq), min_password_length=9))["changed"] is False
    assert run_module(module_args(rmq))["changed"] is False


def test_negative_min_password_length_fails_before_any_request(broker, rmq):
    fake = broker("4.0.5")
    result = run_module({"min_password_length": -1}, expect=AnsibleFailJson)
    assert result["msg"] == "min_password_length: -1 is negative; allowed: 0 (no check) or more"
    assert fake.sent == []


def quorum_queue(size):
    return {"queues": [{"name": "q1", "type": "quorum", "arguments": {"x-quorum-initial-group-size": size}}]}


def test_group_size_larger_than_the_cluster_fails(broker, rmq):
    fake = broker("4.0.5", nodes=["a", "b", "c"])
    args = quorum_queue(5)
    args["policies"] = [{"name": "qq", "vhost": "shop", "pattern": "^q", "definition": {"initial-cluster-size": 4}}]
    result = run_module(args, expect=AnsibleFailJson)
    assert result["errors"] == [
        "policies[vhost=shop, name=qq].definition.initial-cluster-size: 4 is larger than the cluster (3 nodes);"
        " allowed: 1 to 3",
        "queues[vhost=/, name=q1].arguments.x-quorum-initial-group-size: 5 is larger than the cluster (3 nodes);"
        " allowed: 1 to 3",
    ]
    # The node list is read once, after the definitions, and nothing is written.
    assert fake.lines() == ["GET /api/definitions", "GET /api/nodes?columns=name"]
    assert result["api_calls"] == fake.lines()


def test_group_size_the_cluster_can_hold_is_applied(broker, rmq):
    fake = broker("4.0.5", nodes=["a", "b", "c"])
    run_module(quorum_queue(3))
    assert fake.lines() == ["GET /api/definitions", "GET /api/nodes?columns=name", "POST /api/definitions"]
    assert fake.sent[-1][2]["queues"][0]["arguments"] == {"x-quorum-initial-group-size": 3, "x-queue-type": "quorum"}


@pytest.mark.parametrize("args", [
    {},
    quorum_queue(1),
    {"queues": [{"name": "q1", "type": "quorum", "arguments": {"x-quorum-initial-group-size": 5},
                 "state": "absent"}]},
    {"policies": [{"name": "ttl", "vhost": "shop", "pattern": "^orders", "apply_to": "queues",
                   "definition": {"message-ttl": 60000}, "priority": 1}]},
])
def test_nodes_are_not_read_when_no_group_size_needs_them(broker, rmq, args):
    fake = broker("4.0.5")  # a GET /api/nodes would fail the test
    run_module(args)
    assert "GET /api/nodes?columns=name" not in fake.lines()


@pytest.mark.parametrize("size", [0, -2, "3", 2.5])
def test_invalid_group_size_fails_without_reading_the_nodes(broker, rmq, size):
    fake = broker("4.0.5")
    result = run_module(quorum_queue(size), expect=AnsibleFailJson)
    assert result["errors"] == [
        "queues[vhost=/, name=q1].arguments.x-quorum-initial-group-size: %r is not a group size; allowed: a whole"
        " number, 1 or more (at most the number of cluster nodes)" % size,
    ]
    assert fake.lines() == ["GET /api/definitions"]


def test_failing_node_read_is_reported(broker, rmq):
    broker("4.0.5", nodes=["a"], failures={("GET", "/api/nodes?columns=name"): (
        401, '{"error":"not_authorized","reason":"Not management user"}')})
    result = run_module(quorum_queue(2), expect=AnsibleFailJson)
    assert result["msg"] == (
        "reading the broker state failed: GET /api/nodes?columns=name: HTTP 401: Not management user"
    )


# --- the API user's password has one owner ------------------------------------------------------


def test_api_user_declared_with_another_password_fails_before_any_change(broker, rmq):
    fake = broker("4.0.5")
    args = {"api_user": "admin",
            "users": [{"name": "admin", "password": "Other-Admin-Pw-1", "tags": ["administrator"]}]}
    result = run_module(args, expect=AnsibleFailJson)
    assert fake.lines() == ["GET /api/definitions"]
    assert result["errors"] == [
        "users[admin].password: differs from api_password (through the roles: rabbitmq_definitions_api_password,"
        " which defaults to rabbitmq_server_admin_password), the password every run logs in with; the"
        " administrator's password has one owner: leave password out of this entry in users (through the role:"
        " rabbitmq_definitions_users) (or give the same one) and change it through api_password (through the roles:"
        " rabbitmq_definitions_api_password, which defaults to rabbitmq_server_admin_password); the values are not"
        " shown",
    ]
    result.pop("_no_log_values")
    shown = json.dumps(result)
    assert "Other-Admin-Pw-1" not in shown and API_PASSWORD not in shown


@pytest.mark.parametrize("users", [
    [{"name": "admin", "password": "admin-Pa55word", "tags": ["administrator"]}],
    [{"name": "admin"}],
])
def test_api_user_declared_with_its_own_password_is_a_noop(broker, rmq, users):
    fake = broker("4.0.5")
    result = run_module({"api_user": "admin", "api_password": rmq.ADMIN_PASSWORD, "users": users})
    assert result["changed"] is False
    assert fake.lines() == ["GET /api/definitions"]


def test_api_user_cannot_be_deleted(broker, rmq):
    fake = broker("4.0.5")
    result = run_module({"api_user": "admin", "users": [{"name": "admin", "state": "absent"}]}, expect=AnsibleFailJson)
    assert result["errors"][0].startswith("users[admin]: the API user (api_user) cannot be deleted")
    assert fake.lines() == ["GET /api/definitions"]


# --- secrets ---------------------------------------------------------------------------------------


def test_secrets_are_no_log_and_never_in_the_result(broker, rmq):
    broker("4.0.5")
    args = changed_args(rmq)
    args["users"].append({"name": "hashed", "password_hash": "HASH-Secret-value"})
    args["shovels"][0]["dest_uri"] = ["amqp://shovel:Shovel-Secret@dc2.example/shop"]
    result = run_module(dict(args, _ansible_diff=True, _ansible_check_mode=True))
    no_log = result.pop("_no_log_values")
    for secret in (API_PASSWORD, "Rotated-Secret", "New-Secret", "HASH-Secret-value",
                   "amqp://fed:Changed-Secret@dc1.example/shop", "amqp://shovel:Shovel-Secret@dc2.example/shop"):
        assert secret in no_log
    shown = json.dumps(result)
    for secret in (API_PASSWORD, "Rotated-Secret", "New-Secret", "HASH-Secret-value", "Changed-Secret",
                   "Shovel-Secret", "upstream-Secret", rmq.APP_HASH, rmq.ADMIN_HASH):
        assert secret not in shown
    assert "amqp://shovel:********@dc2.example/shop" in shown


def test_argument_spec_lists_every_kind_and_the_api_options():
    spec = rabbitmq_definitions.ARGUMENT_SPEC
    for kind in KINDS:
        assert spec[kind]["type"] == "list" and spec[kind]["elements"] == "dict"
        assert "state" in spec[kind]["options"]
    assert set(spec["purge"]["options"]) == set(KINDS)
    for option in ("api_url", "api_user", "api_password", "api_timeout", "validate_certs", "ca_path"):
        assert option in spec
    assert spec["users"]["options"]["password"]["no_log"] is True
    assert spec["users"]["options"]["password_hash"]["no_log"] is True
    assert spec["federation_upstreams"]["options"]["uri"]["no_log"] is True
    assert spec["shovels"]["options"]["src_uri"]["no_log"] is True
    assert spec["shovels"]["options"]["dest_uri"]["no_log"] is True
    assert spec["extra_user_tags"] == {"type": "list", "elements": "str", "default": []}


def test_documentation_matches_the_argument_spec():
    # A fresh spec: AnsibleModule fills defaults into nested dicts of the one the other tests ran with.
    module = importlib.reload(rabbitmq_definitions)
    documented = module_docs.doc_options(module_docs.module_documentation("rabbitmq_definitions")["options"])
    assert documented == module_docs.spec_options(module.ARGUMENT_SPEC)


# --- TLS files: passed to every request, checked before the first ----------------------------------


def test_tls_options_reach_every_request(broker, rmq, pki):
    fake = broker("4.0.5")
    args = dict(module_args(rmq), validate_certs=False, ca_path=pki["ca.pem"], client_cert=pki["client.pem"],
                client_key=pki["client.key"])
    args["vhosts"].append({"name": "extra"})
    result = run_module(args)
    assert result["changed"] is True and fake.lines() == ["GET /api/definitions", "POST /api/definitions"]
    assert fake.options == [dict(timeout=300, url_username="admin", url_password=API_PASSWORD, force_basic_auth=True,
                                 http_agent=http_api.HTTP_AGENT, use_proxy=False, validate_certs=False,
                                 ca_path=pki["ca.pem"], client_cert=pki["client.pem"],
                                 client_key=pki["client.key"])] * 2
    assert result["invocation"]["module_args"]["client_key"] == pki["client.key"]


@pytest.mark.parametrize("files, expected", [
    ({"client_cert": "client.pem", "client_key": "/nonexistent/client.key"},
     "client_key /nonexistent/client.key: no such file"),
    ({"client_cert": "client.pem", "client_key": "stranger.key"},
     "client_key {stranger.key}: not the private key of the certificate in {client.pem} (their public keys"
         " differ)"),
    ({"ca_path": "/nonexistent/ca.pem", "client_cert": "client.pem", "client_key": "client-encrypted.key"},
     "ca_path /nonexistent/ca.pem: no such file; client_key {client-encrypted.key}: the key is encrypted"),
], ids=["key-missing", "key-mismatch", "ca-missing-and-key-encrypted"])
def test_unusable_tls_files_fail_before_any_request(broker, rmq, pki, files, expected):
    fake = broker("4.0.5")
    args = dict(module_args(rmq), **dict((option, pki.get(name, name)) for option, name in files.items()))
    args["vhosts"].append({"name": "extra"})
    result = run_module(args, expect=AnsibleFailJson)
    for name, path in pki.items():
        expected = expected.replace("{%s}" % name, path)
    assert result["msg"].startswith("TLS files unusable, nothing was changed: " + expected)
    assert fake.sent == [] and result["api_calls"] == []
    result.pop("_no_log_values")
    assert API_PASSWORD not in json.dumps(result)


@pytest.mark.parametrize("option", ["client_cert", "client_key"])
def test_client_cert_and_key_go_together(broker, rmq, pki, option):
    fake = broker("4.0.5")
    result = run_module(dict(module_args(rmq), **{option: pki["client-and-key.pem"]}), expect=AnsibleFailJson)
    assert result["msg"] == "parameters are required together: client_cert, client_key"
    assert fake.sent == []


# --- never half-applied: a refused request is reverted -----------------------------------------------------

EXCHANGE_TYPE_REFUSED = "unknown exchange type 'x-no-such-type'"


def refuse_unknown_exchange_type(category, entry):
    if category == "exchanges" and entry.get("type") == "x-no-such-type":
        return EXCHANGE_TYPE_REFUSED
    return None


@pytest.fixture
def stateful(monkeypatch, rmq):
    def install(version="4.0.5", **options):
        fake = StatefulBroker(rmq.make_export(version), **options)
        monkeypatch.setattr(http_api, "open_url", fake)
        return fake

    monkeypatch.setattr(AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(AnsibleModule, "fail_json", fail_json)
    return install


def partial_args(rmq):
    """Creations, an update and a deletion, and an exchange type the broker refuses (a plugin not enabled)."""
    args = module_args(rmq)
    args["vhosts"].append({"name": "extra"})
    args["users"].append({"name": "newbie", "password": "Newbie-Secret-1", "tags": ["management"]})
    args["users"][0]["password"] = "Rotated-Secret"
    args["permissions"].append({"user": "newbie", "vhost": "extra"})
    args["policies"][0]["definition"] = {"message-ttl": 1000}
    args["exchanges"].append({"name": "delayed", "vhost": "shop", "type": "x-no-such-type"})
    args["queues"] = [q for q in args["queues"] if q["name"] != "old"] + [
        {"name": "old", "vhost": "shop", "state": "absent"}]
    return args


def test_the_fake_broker_applies_what_it_accepts(stateful, rmq):
    fake = stateful()
    args = partial_args(rmq)
    args["exchanges"][-1]["type"] = "direct"
    run_module(args)
    assert not same_definitions(fake.definitions(), rmq.make_export("4.0.5"))
    assert run_module(args)["changed"] is False  # and a re-run agrees with it


def test_refused_import_is_reverted_to_exactly_the_state_before(stateful, rmq):
    fake = stateful(refuse=refuse_unknown_exchange_type)
    result = run_module(partial_args(rmq), expect=AnsibleFailJson)
    assert same_definitions(fake.definitions(), rmq.make_export("4.0.5"))
    assert fake.lines() == [
        "GET /api/definitions",
        "POST /api/definitions",  # refused half-way: users, vhost and permissions imported
        "GET /api/definitions",  # the revert reads the broker again
        "POST /api/definitions",  # app's previous hash
        "POST /api/users/bulk-delete",
        "DELETE /api/vhosts/extra",
    ]
    assert fake.sent[3][2] == {"users": [{"name": "app", "password_hash": rmq.APP_HASH,
                                          "hashing_algorithm": rmq.SHA256, "tags": ["management"]}]}
    assert fake.sent[4][2] == {"users": ["newbie"]}
    assert result["applied"] == []
    assert result["failed_request"] == "POST /api/definitions"
    assert [(c["object"], c["action"]) for c in result["reverted"]] == [
        ("vhosts[extra]", "delete"), ("users[app]", "update"), ("users[newbie]", "delete")]
    assert result["msg"] == (
        "applying the definitions failed: POST /api/definitions: HTTP 400: " + EXCHANGE_TYPE_REFUSED
        + "; request 1 of 2; applied before it: nothing; reverted (with what the refused request had applied):"
          " vhosts[extra] (delete), users[app] (update), users[newbie] (delete); the broker is as before this run")
    result.pop("_no_log_values")
    assert "Rotated-Secret" not in json.dumps(result) and "Newbie-Secret-1" not in json.dumps(result)


def test_refusal_in_a_later_import_request_reverts_the_earlier_ones(stateful, rmq, monkeypatch):
    monkeypatch.setattr(planning, "IMPORT_BUDGET", 40)  # two new virtual hosts per request
    fake = stateful(refuse=refuse_unknown_exchange_type)
    args = {"vhosts": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
            "exchanges": [{"name": "ok", "vhost": "a"}, {"name": "delayed", "vhost": "shop", "type": "x-no-such-type"}]}
    result = run_module(args, expect=AnsibleFailJson)
    assert same_definitions(fake.definitions(), rmq.make_export("4.0.5"))
    assert fake.lines() == [
        "GET /api/definitions",
        "POST /api/definitions",  # vhosts a, b
        "POST /api/definitions",  # vhost c, exchange a/ok (and the refused one)
        "GET /api/definitions",
        "DELETE /api/vhosts/a",
        "DELETE /api/vhosts/b",
        "DELETE /api/vhosts/c",
    ]
    assert [entry["name"] for entry in fake.sent[1][2]["vhosts"]] == ["a", "b"]
    assert result["applied"] == ["vhosts[a]", "vhosts[b]"]
    assert result["failed_objects"] == ["vhosts[c]", "exchanges[vhost=a, name=ok]",
                                        "exchanges[vhost=shop, name=delayed]"]
    assert "request 2 of 2; applied before it: vhosts[a], vhosts[b]; reverted" in result["msg"]


def test_refused_deletion_reverts_the_imports_and_earlier_deletions(stateful, rmq):
    fake = stateful(fail={("DELETE", "/api/queues/shop/orders"): (500, "boom")})
    args = module_args(rmq)
    args["users"].append({"name": "newbie", "password": "Newbie-Secret-1"})
    args["bindings"] = [dict(b, state="absent") if b["destination"] == "orders.q" else b for b in args["bindings"]
                        if b["destination"] != "orders"]  # goes with its queue
    args["queues"] = [dict(q, state="absent") if q["name"] in ("old", "orders") else q for q in args["queues"]]
    args["shovels"] = [dict(s, state="absent") for s in args["shovels"]]  # its source queue goes
    result = run_module(args, expect=AnsibleFailJson)
    assert same_definitions(fake.definitions(), rmq.make_export("4.0.5"))
    assert fake.lines() == [
        "GET /api/definitions",
        "POST /api/definitions",
        "GET /api/bindings/shop/e/events/q/orders.q",
        "DELETE /api/bindings/shop/e/events/q/orders.q/x~1",
        "DELETE /api/parameters/shovel/shop/drain",
        "DELETE /api/queues/shop/old",
        "DELETE /api/queues/shop/orders",  # refused
        "GET /api/definitions",
        "POST /api/definitions",  # the shovel, queue old, the binding
        "POST /api/users/bulk-delete",
    ]
    assert result["applied"] == [
        "users[newbie]",
        'bindings[vhost=shop, source=events, destination=queue orders.q, routing_key=x, arguments={"x-match":"all"}]',
        "shovels[vhost=shop, name=drain]", "queues[vhost=shop, name=old]"]
    assert sorted(fake.sent[-2][2]) == ["bindings", "parameters", "queues"]


def test_a_virtual_host_deleted_before_a_refusal_comes_back_with_its_contents(stateful, rmq):
    fake = stateful(fail={("DELETE", "/api/vhosts/shop"): (500, "boom")})
    run_module({"vhosts": [{"name": "/", "state": "absent"}, {"name": "shop", "state": "absent"}]},
               expect=AnsibleFailJson)
    assert same_definitions(fake.definitions(), rmq.make_export("4.0.5"))
    assert fake.lines()[:4] == ["GET /api/definitions", "DELETE /api/vhosts/%2F", "DELETE /api/vhosts/shop",
                                "GET /api/definitions"]
    assert fake.lines()[4:] == ["POST /api/definitions"]  # "/" and the admin's permissions there


def test_timeout_is_not_reverted_and_a_rerun_does_the_rest(stateful, rmq, monkeypatch):
    monkeypatch.setattr(planning, "IMPORT_BUDGET", 20)
    fake = stateful()
    calls = {"n": 0}
    real = fake.__call__

    def timing_out(url, data=None, headers=None, method=None, **options):
        if method == "POST":
            calls["n"] += 1
            if calls["n"] == 2:
                fake.sent.append(("POST", "/api/definitions", None))
                raise URLError("timed out")
        return real(url, data, headers, method, **options)

    monkeypatch.setattr(http_api, "open_url", timing_out)
    result = run_module({"vhosts": [{"name": "a"}, {"name": "b"}]}, expect=AnsibleFailJson)
    assert fake.lines() == ["GET /api/definitions", "POST /api/definitions", "POST /api/definitions"]
    assert result["msg"] == (
        "applying the definitions failed: POST /api/definitions: cannot reach the management API: timed out (the"
        " broker may still be applying what it received: re-run to see what remains, and raise api_timeout for"
        " large imports); request 2 of 2; applied before it: vhosts[a]; not reverted (that request's outcome is"
        " unknown): a re-run plans what remains")
    assert result["applied"] == ["vhosts[a]"] and result["reverted"] == []
    # Interrupted is resumable: a re-run plans only what remains.
    monkeypatch.setattr(http_api, "open_url", fake)
    del fake.sent[:]
    result = run_module({"vhosts": [{"name": "a"}, {"name": "b"}]})
    assert [(c["object"], c["action"]) for c in result["changes"]] == [("vhosts[b]", "create")]
    assert fake.lines() == ["GET /api/definitions", "POST /api/definitions"]
    assert [v["name"] for v in fake.sent[1][2]["vhosts"]] == ["b"]


# --- the definitions cases of molecule/security/tests/test_bad_input.py, through the module ------------------

SECURITY_ADMIN_PASSWORD = "Security-Admin-Pw-9"


def security_export():
    """The security scenario's broker: vhost secure, users admin, app and shovel (RabbitMQ 4.0)."""
    admin_hash = hash_password(SECURITY_ADMIN_PASSWORD, "rabbit_password_hashing_sha256", b"\x01\x02\x03\x04")
    return {
        "rabbitmq_version": "4.0.5",
        "vhosts": [{"name": "/", "metadata": {}}, {"name": "secure", "metadata": {}}],
        "users": [{"name": name, "password_hash": admin_hash, "hashing_algorithm": "rabbit_password_hashing_sha256",
                   "tags": ["administrator"] if name == "admin" else []} for name in ("admin", "app", "shovel")],
        "queues": [{"name": q, "vhost": "secure", "durable": True, "auto_delete": False,
                    "arguments": {"x-queue-type": "classic"}} for q in ("outbox", "inbox")],
    }


@pytest.mark.parametrize("args, fragments, secrets", [
    ({"queues": [{"vhost": "secure", "name": "capped", "arguments": {"x-max-length": "1000"}}]},
     ["queues[vhost=secure, name=capped].arguments.x-max-length", "'1000' is not allowed", "a whole number"], []),
    ({"queues": [{"vhost": "secure", "name": "urgent", "type": "quorum", "arguments": {"x-max-priority": 10}}]},
     ["queues[vhost=secure, name=urgent].arguments.x-max-priority", "not an argument of quorum queues"], []),
    ({"policies": [{"vhost": "secure", "name": "ttl", "pattern": "^app\\.", "definition": {"message-ttl": "1h"}}]},
     ["policies[vhost=secure, name=ttl].definition.message-ttl", "'1h' is not allowed", "milliseconds"], []),
    ({"vhosts": [{"name": "secure"}, {"name": ""}]}, ["vhosts[1].name", "must not be empty"], []),
    ({"shovels": [{"vhost": "secure", "name": "broken",
                   "src_uri": ["amqp://shovel:Shovel-Uri-Secret-1@localhost:99999/secure"],
                   "src_queue": "outbox", "dest_uri": ["amqp://"], "dest_queue": "inbox"}]},
     ["shovels[vhost=secure, name=broken].src_uri[0]", "not a valid AMQP URI", "port"], ["Shovel-Uri-Secret-1"]),
    ({"users": [{"name": "admin", "password": "Other-Admin-Pw-123", "tags": ["administrator"]}]},
     ["users[admin].password", "rabbitmq_definitions_users", "rabbitmq_definitions_api_password",
      "rabbitmq_server_admin_password"], ["Other-Admin-Pw-123"]),
    ({"users": [{"name": "admin", "state": "absent"}]},
     ["users[admin]", "cannot be deleted", "rabbitmq_definitions_users"], []),
    ({"vhost_limits": [{"vhost": "secure", "max_connections": "many"}]}, ["max_connections", "int"], []),
], ids=["queue-argument-wrong-type", "queue-argument-for-other-type", "policy-value-wrong-type", "empty-vhost-name",
        "shovel-uri-invalid", "admin-declared-with-other-password", "admin-declared-absent", "limit-not-a-number"])
def test_bad_inputs_of_the_security_scenario(monkeypatch, args, fragments, secrets):
    fake = FakeBroker(security_export())
    monkeypatch.setattr(http_api, "open_url", fake)
    monkeypatch.setattr(AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(AnsibleModule, "fail_json", fail_json)
    result = run_module(dict(args, api_user="admin", api_password=SECURITY_ADMIN_PASSWORD), expect=AnsibleFailJson)
    assert all(m == "GET" for m, _p, _b in fake.sent)  # nothing written
    no_log = result.pop("_no_log_values")
    shown = " ".join(json.dumps(result).split())
    for fragment in fragments:
        assert fragment in shown, (fragment, result["msg"])
    for secret in secrets + [SECURITY_ADMIN_PASSWORD]:
        assert secret not in shown
    for secret in secrets:  # and AnsibleModule masks the values that hold them
        assert any(secret in value for value in no_log)


# --- waiting for the management listener ---------------------------------------------


class FakeClock(object):
    def __init__(self):
        self.now = 0.0
        self.sleeps = 0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps += 1
        self.now += seconds


def test_read_when_up_retries_refused_connections_until_the_listener_answers():
    clock = FakeClock()
    answers = [rabbitmq_definitions.ApiError("GET", "/api/definitions", None, "Connection refused")] * 3 + ["state"]

    def read():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert rabbitmq_definitions.read_when_up(read, 60, clock=clock, sleep=clock.sleep) == "state"
    assert clock.sleeps == 3


def test_read_when_up_gives_up_after_the_wait():
    clock = FakeClock()

    def read():
        raise rabbitmq_definitions.ApiError("GET", "/api/definitions", None, "Connection refused")

    with pytest.raises(rabbitmq_definitions.ApiError):
        rabbitmq_definitions.read_when_up(read, 5, clock=clock, sleep=clock.sleep)
    assert 5 <= clock.now <= 6


@pytest.mark.parametrize("reason", [
    "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required (_ssl.c:2580)",
    "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate",
])
def test_read_when_up_reports_a_tls_refusal_at_once(reason):
    # The listener is up and refused the handshake: waiting would not change that.
    clock = FakeClock()

    def read():
        raise rabbitmq_definitions.ApiError("GET", "/api/definitions", None, reason)

    with pytest.raises(rabbitmq_definitions.ApiError) as excinfo:
        rabbitmq_definitions.read_when_up(read, 60, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == 0 and excinfo.value.hint is not None


def test_read_when_up_reports_an_http_error_at_once():
    clock = FakeClock()

    def read():
        raise rabbitmq_definitions.ApiError("GET", "/api/definitions", 401, "Not_Authorized")

    with pytest.raises(rabbitmq_definitions.ApiError):
        rabbitmq_definitions.read_when_up(read, 60, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == 0
