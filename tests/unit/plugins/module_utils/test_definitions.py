# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for module_utils/definitions/: diff, validation, version rules (no broker)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
from unittest import mock

import pytest

from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions import applying, planning
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.registry import KINDS, VHOST_SCOPED
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.users import (
    USER_TAGS,
    password_length_error,
    user_tag_errors,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.model import DefinitionsError, parse_version
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.planning import plan, planner_for
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.policy_keys import (
    allowed_apply_to,
    allowed_policy_keys,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.state import (
    current_state,
    needs_cluster_nodes,
    needs_vhost_details,
    read_cluster_nodes,
    read_state,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.uris import mask_uri
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.values import group_size_error
from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import ApiError
from ansible_collections.mqops.rabbitmq.plugins.module_utils.password import hash_password, password_matches


def fake_hasher(password, algorithm):
    """Deterministic stand-in for hash_password (random salt)."""
    return "FAKEHASH<%s:%s>" % (algorithm, password)


def run(rmq, version, desired=None, **options):
    export = rmq.make_export(version)
    details = rmq.make_vhost_details() if version.startswith("3.10") else None
    desired = rmq.make_desired() if desired is None else desired
    options.setdefault("hasher", fake_hasher)
    options.setdefault("protected_users", ["admin"])
    return plan(export, desired, vhost_details=details, **options)


def changed_objects(the_plan):
    return [(c["kind"], c["object"], c["action"]) for c in the_plan.changes]


def request_lines(the_plan):
    return ["%s %s" % (m, p) for m, p, _b in the_plan.requests()]


def find(desired, kind, **match):
    for entry in desired[kind]:
        if all(entry.get(k) == v for k, v in match.items()):
            return entry
    raise AssertionError("no %s entry %r" % (kind, match))


def errors_of(rmq, version, desired, **options):
    with pytest.raises(DefinitionsError) as excinfo:
        run(rmq, version, desired, **options)
    return excinfo.value.errors


# --- versions, masking, tables -----------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3.10.8", (3, 10, 8)),
        ("4.0.5", (4, 0, 5)),
        ("3.13", (3, 13, 0)),
        ("4.1.0-beta.1", (4, 1, 0)),
        ("3.12.0+12.g1", (3, 12, 0)),
        ("", None),
        (None, None),
        ("unknown", None),
    ],
)
def test_parse_version(text, expected):
    assert parse_version(text) == expected


def test_versions_compare_as_numbers():
    assert parse_version("3.10.8") > parse_version("3.9.0")
    assert parse_version("3.9.29") < parse_version("3.10.0")
    assert parse_version("3.13.7") < parse_version("4.0.0")


@pytest.mark.parametrize(
    "uri, expected",
    [
        ("amqp://fed:secret@dc1/shop", "amqp://fed:********@dc1/shop"),
        ("amqps://u:p%40ss@h:5671/v?heartbeat=10", "amqps://u:********@h:5671/v?heartbeat=10"),
        ("amqp://u:p@ss@h/v", "amqp://u:********@h/v"),
        ("amqp://u:@h", "amqp://u:********@h"),
        ("amqp://user@host/vh", "amqp://user@host/vh"),
        ("amqp://host", "amqp://host"),
        ("amqp://", "amqp://"),
        ("amqp:///shop", "amqp:///shop"),
        ("amqp://h/v?auth_mechanism=external", "amqp://h/v?auth_mechanism=external"),
        (42, 42),
        (None, None),
    ],
)
def test_mask_uri(uri, expected):
    assert mask_uri(uri) == expected


def test_ha_keys_exist_before_4_and_not_after():
    assert {"ha-mode", "ha-params", "ha-sync-mode"} <= allowed_policy_keys((3, 10, 8))
    assert {"ha-mode", "ha-params", "ha-sync-mode"} <= allowed_policy_keys((3, 13, 7))
    assert not {"ha-mode", "ha-params", "ha-sync-mode"} & allowed_policy_keys((4, 0, 5))


def test_policy_keys_read_from_the_brokers():
    # rabbit_registry:lookup_all(policy_validator) on the molecule images.
    on_310 = {
        "alternate-exchange", "dead-letter-exchange", "dead-letter-routing-key", "dead-letter-strategy",
        "delivery-limit", "expires", "federation-upstream", "federation-upstream-pattern",
        "federation-upstream-set", "ha-mode", "ha-params", "ha-promote-on-failure", "ha-promote-on-shutdown",
        "ha-sync-batch-size", "ha-sync-mode", "initial-cluster-size", "max-age", "max-in-memory-bytes",
        "max-in-memory-length", "max-length", "max-length-bytes", "message-ttl", "overflow",
        "queue-leader-locator", "queue-master-locator", "queue-mode", "queue-version",
        "stream-max-segment-size-bytes",
    }
    on_405 = (on_310 - {k for k in on_310 if k.startswith("ha-")}) | {
        "consumer-timeout", "stream-filter-size-bytes", "target-group-size",
    }
    assert allowed_policy_keys((3, 10, 8)) == on_310
    assert allowed_policy_keys((4, 0, 5)) == on_405
    assert allowed_policy_keys((3, 10, 8), operator=True) == {
        "delivery-limit", "expires", "max-in-memory-bytes", "max-in-memory-length", "max-length",
        "max-length-bytes", "message-ttl",
    }
    assert allowed_policy_keys((4, 0, 5), operator=True) == allowed_policy_keys((3, 10, 8), operator=True) | {
        "overflow", "queue-master-locator", "queue-version", "target-group-size",
    }


def test_policy_keys_in_between_and_unknown_version():
    assert "consumer-timeout" not in allowed_policy_keys((3, 11, 0))
    assert "consumer-timeout" in allowed_policy_keys((3, 12, 0))
    assert "target-group-size" not in allowed_policy_keys((3, 12, 9))
    # Unknown version: everything any version knows.
    assert allowed_policy_keys(None) >= allowed_policy_keys((3, 10, 8)) | allowed_policy_keys((4, 0, 5))


def test_extra_policy_keys():
    assert "shards-per-node" not in allowed_policy_keys((4, 0, 5))
    assert "shards-per-node" in allowed_policy_keys((4, 0, 5), extra=["shards-per-node"])


def test_apply_to_by_version():
    assert allowed_apply_to((3, 10, 8)) == ["all", "exchanges", "queues"]
    assert allowed_apply_to((4, 0, 5)) == [
        "all", "exchanges", "queues", "classic_queues", "quorum_queues", "streams",
    ]


# --- reading the export ---------------------------------------------------------------------


def test_current_state_reads_every_kind(rmq, version):
    details = rmq.make_vhost_details() if version.startswith("3.10") else None
    state = current_state(rmq.make_export(version), details)
    assert set(state) == set(KINDS)
    assert state["vhosts"][("shop",)] == {
        "description": "Shop",
        "tags": ["prod"],
        "default_queue_type": None if version.startswith("3.10") else "classic",
    }
    assert state["users"][("legacy",)] == {
        "tags": ["monitoring"], "password_hash": rmq.LEGACY_HASH, "hashing_algorithm": rmq.MD5,
    }
    assert state["user_limits"] == {("app",): {"max-connections": 10}}
    assert state["permissions"][("shop", "app")] == {"configure": "^app\\.", "write": ".*", "read": ".*"}
    assert state["topic_permissions"][("shop", "app", "amq.topic")] == {"write": "^a", "read": "^b"}
    assert state["policies"][("shop", "ttl")] == {
        "pattern": "^orders", "apply-to": "queues", "priority": 1, "definition": {"message-ttl": 60000},
    }
    assert state["operator_policies"][("shop", "cap")]["definition"] == {"max-length": 100000}
    assert state["vhost_limits"] == {("shop",): {"max-connections": 100, "max-queues": 200}}
    assert state["global_parameters"][("color",)] == "blue"
    assert state["federation_upstreams"][("shop", "dc1")]["uri"] == rmq.UPSTREAM_URI
    assert state["federation_upstream_sets"][("shop", "all-dcs")] == [{"upstream": "dc1"}]
    assert state["shovels"][("shop", "drain")]["dest-uri"] == rmq.SHOVEL_URI
    assert state["exchanges"][("shop", "events")]["type"] == "topic"
    # x-queue-type is lifted out of the arguments; missing means classic (3.10).
    assert state["queues"][("shop", "orders")] == {
        "type": "classic", "durable": True, "auto_delete": False, "arguments": {},
    }
    assert state["queues"][("shop", "orders.q")]["type"] == "quorum"
    assert ("shop", "events", "queue", "orders.q", "x", '{"x-match":"all"}') in state["bindings"]


def test_current_state_without_details_on_310_knows_only_names(rmq):
    state = current_state(rmq.make_export("3.10.8"))
    assert state["vhosts"][("shop",)] == {"description": None, "tags": None, "default_queue_type": None}


def test_current_state_uri_lists_of_one_become_strings():
    export = {"parameters": [
        {"vhost": "/", "component": "federation-upstream", "name": "u", "value": {"uri": ["amqp://a"]}},
        {"vhost": "/", "component": "federation-upstream", "name": "v", "value": {"uri": ["amqp://a", "amqp://b"]}},
    ]}
    state = current_state(export)
    assert state["federation_upstreams"][("/", "u")] == {"uri": "amqp://a"}
    assert state["federation_upstreams"][("/", "v")] == {"uri": ["amqp://a", "amqp://b"]}


def test_needs_vhost_details(rmq):
    desired = {"vhosts": [{"name": "shop", "description": "x"}]}
    assert needs_vhost_details(rmq.make_export("3.10.8"), desired)
    assert not needs_vhost_details(rmq.make_export("4.0.5"), desired)
    # Nothing to compare: no extra request.
    assert not needs_vhost_details(rmq.make_export("3.10.8"), {"vhosts": [{"name": "shop"}]})
    assert not needs_vhost_details(rmq.make_export("3.10.8"), {"vhosts": [{"name": "x", "state": "absent",
                                                                          "description": "x"}]})
    assert not needs_vhost_details(rmq.make_export("3.10.8"), {})


# --- no-op ------------------------------------------------------------------------------------


def test_matching_declarations_change_nothing(rmq, version):
    result = run(rmq, version)
    assert result.changes == []
    assert result.document == {}
    assert result.requests() == []
    assert not result.changed
    assert result.before == {} and result.after == {}
    assert result.version == parse_version(version)


def test_matching_passwords_never_call_the_hasher(rmq, version):
    hasher = mock.Mock(side_effect=AssertionError("hasher must not be called"))
    assert not run(rmq, version, hasher=hasher).changed


def test_nothing_declared_changes_nothing(rmq, version):
    assert run(rmq, version, {}).requests() == []


def test_plan_does_not_mutate_its_inputs(rmq, version):
    export = rmq.make_export(version)
    desired = rmq.make_desired()
    desired["users"][0]["password"] = "rotated"
    desired["queues"][0]["arguments"] = {"x-queue-type": "classic"}
    export_copy, desired_copy = copy.deepcopy(export), copy.deepcopy(desired)
    plan(export, desired, purge={"policies": True}, hasher=fake_hasher)
    assert export == export_copy
    assert desired == desired_copy


# --- each kind: create, update, delete --------------------------------------------------------


def test_vhost_create_update_delete(rmq):
    desired = rmq.make_desired()
    desired["vhosts"] += [
        {"name": "new", "description": "New one", "tags": ["b", "a"], "default_queue_type": "quorum"},
    ]
    find(desired, "vhosts", name="shop")["description"] = "Shop (EU)"
    desired["vhosts"].append({"name": "/", "state": "absent"})
    desired["vhosts"] = [v for v in desired["vhosts"] if v.get("state") or v["name"] != "/"]
    result = run(rmq, "4.0.5", desired)
    assert changed_objects(result) == [
        ("vhosts", "vhosts[/]", "delete"),
        ("vhosts", "vhosts[new]", "create"),
        ("vhosts", "vhosts[shop]", "update"),
    ]
    assert result.document == {"vhosts": [
        {"name": "new", "description": "New one", "tags": ["a", "b"], "default_queue_type": "quorum",
         "metadata": {"description": "New one", "tags": ["a", "b"], "default_queue_type": "quorum"}},
        # An update sends the whole metadata: tags and queue type kept.
        {"name": "shop", "description": "Shop (EU)", "tags": ["prod"], "default_queue_type": "classic",
         "metadata": {"description": "Shop (EU)", "tags": ["prod"], "default_queue_type": "classic"}},
    ]}
    assert request_lines(result) == ["POST /api/definitions", "DELETE /api/vhosts/%2F"]
    assert result.before["vhosts"]["shop"]["description"] == "Shop"
    assert result.after["vhosts"]["shop"]["description"] == "Shop (EU)"


def test_vhost_update_on_310_uses_the_details(rmq):
    desired = {"vhosts": [{"name": "shop", "tags": ["prod", "eu"]}]}
    result = run(rmq, "3.10.8", desired)
    assert result.document == {"vhosts": [
        {"name": "shop", "description": "Shop", "tags": ["eu", "prod"],
         "metadata": {"description": "Shop", "tags": ["eu", "prod"]}},
    ]}


def test_vhost_without_managed_metadata_is_left_alone(rmq, version):
    assert run(rmq, version, {"vhosts": [{"name": "shop"}, {"name": "/"}]}).requests() == []


def test_vhost_deletion_takes_its_objects_along(rmq, version):
    desired = {"vhosts": [{"name": "shop", "state": "absent"}],
               "policies": [{"name": "ttl", "vhost": "shop", "state": "absent"}]}
    # Purge every kind that lives inside a virtual host.
    purge = dict((kind, True) for kind in VHOST_SCOPED)
    result = run(rmq, version, desired, purge=purge)
    assert request_lines(result) == ["DELETE /api/vhosts/shop"]
    assert changed_objects(result) == [("vhosts", "vhosts[shop]", "delete")]


def test_user_create_with_password_and_with_hash(rmq, version):
    desired = {"users": [
        {"name": "new", "password": "new-pw", "tags": ["management"]},
        {"name": "hashed", "password_hash": "SOMEHASH", "hashing_algorithm": "rabbit_password_hashing_sha512"},
        {"name": "nopass", "password_hash": ""},
    ]}
    result = run(rmq, version, desired)
    assert result.document == {"users": [
        {"name": "hashed", "password_hash": "SOMEHASH", "hashing_algorithm": "rabbit_password_hashing_sha512",
         "tags": []},
        {"name": "new", "password_hash": "FAKEHASH<rabbit_password_hashing_sha256:new-pw>",
         "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["management"]},
        {"name": "nopass", "password_hash": "", "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []},
    ]}
    assert result.after["users"]["new"] == {"tags": ["management"], "password": "(set)"}


def test_default_hasher_produces_a_hash_rabbitmq_accepts(rmq):
    result = plan(rmq.make_export("4.0.5"), {"users": [{"name": "new", "password": "new-pw"}]})
    entry = result.document["users"][0]
    assert password_matches("new-pw", entry["password_hash"], entry["hashing_algorithm"])


def test_password_rotation_changes_exactly_that_user(rmq, version):
    desired = rmq.make_desired()
    find(desired, "users", name="app")["password"] = "rotated-pw"
    result = run(rmq, version, desired)
    assert changed_objects(result) == [("users", "users[app]", "update")]
    assert result.document == {"users": [
        {"name": "app", "password_hash": "FAKEHASH<rabbit_password_hashing_sha256:rotated-pw>",
         "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["management"]},
    ]}
    assert result.before["users"]["app"] == {"tags": ["management"], "password": "(previous)"}
    assert result.after["users"]["app"] == {"tags": ["management"], "password": "(changed)"}


def test_legacy_md5_user_compared_with_its_algorithm(rmq, version):
    desired = {"users": [{"name": "legacy", "password": rmq.LEGACY_PASSWORD}]}
    assert run(rmq, version, desired).requests() == []
    desired = {"users": [{"name": "legacy", "password": "new"}]}
    entry = run(rmq, version, desired).document["users"][0]
    # A new password is hashed with the declared (default SHA-256) algorithm.
    assert entry["hashing_algorithm"] == "rabbit_password_hashing_sha256"


def test_update_password_on_create_leaves_existing_password(rmq, version):
    desired = {"users": [{"name": "app", "password": "other", "update_password": "on_create"}]}
    assert run(rmq, version, desired).requests() == []


def test_password_hash_compared_with_the_stored_one(rmq, version):
    desired = {"users": [{"name": "app", "password_hash": rmq.APP_HASH}]}
    assert run(rmq, version, desired).requests() == []
    desired = {"users": [{"name": "app", "password_hash": "OTHERHASH"}]}
    assert run(rmq, version, desired).document["users"][0]["password_hash"] == "OTHERHASH"


def test_tags_change_keeps_the_hash(rmq, version):
    desired = {"users": [{"name": "legacy", "tags": ["monitoring", "management"]}]}
    result = run(rmq, version, desired)
    assert result.document == {"users": [
        {"name": "legacy", "password_hash": rmq.LEGACY_HASH, "hashing_algorithm": rmq.MD5,
         "tags": ["management", "monitoring"]},
    ]}
    assert "password" not in result.after["users"]["legacy"]


def test_users_omitted_tags_are_left_alone(rmq, version):
    assert run(rmq, version, {"users": [{"name": "app"}]}).requests() == []


def test_user_deletion_is_one_bulk_request(rmq, version):
    desired = {"users": [{"name": "app", "state": "absent"}, {"name": "legacy", "state": "absent"},
                         {"name": "ghost", "state": "absent"}]}
    result = run(rmq, version, desired)
    assert result.requests() == [("POST", "/api/users/bulk-delete", {"users": ["app", "legacy"]})]
    # The user's permissions, topic permissions and limits go with it.
    assert [c["kind"] for c in result.changes] == ["users", "users"]


def test_permissions_create_update_delete(rmq, version):
    desired = {
        "vhosts": [{"name": "new"}],
        "permissions": [
            {"user": "app", "vhost": "shop", "configure": "^app\\.", "write": "^$"},
            {"user": "legacy", "vhost": "new", "configure": "^$", "write": "^$", "read": ".*"},
            {"user": "admin", "vhost": "/", "state": "absent"},
        ],
    }
    result = run(rmq, version, desired)
    assert result.document["permissions"] == [
        {"user": "legacy", "vhost": "new", "configure": "^$", "write": "^$", "read": ".*"},
        {"user": "app", "vhost": "shop", "configure": "^app\\.", "write": "^$", "read": ".*"},
    ]
    assert request_lines(result) == ["POST /api/definitions", "DELETE /api/permissions/%2F/admin"]


def test_topic_permission_update_is_imported(rmq, version):
    desired = {"topic_permissions": [{"user": "app", "vhost": "shop", "exchange": "amq.topic", "write": "^c"}]}
    result = run(rmq, version, desired)
    assert result.document == {"topic_permissions": [
        {"user": "app", "vhost": "shop", "exchange": "amq.topic", "write": "^c", "read": ".*"},
    ]}
    assert result.pre_requests == []


def test_topic_permission_removal_clears_and_reimports_the_rest(rmq, version):
    desired = {"topic_permissions": [{"user": "app", "vhost": "shop", "exchange": "events", "state": "absent"}]}
    result = run(rmq, version, desired)
    assert request_lines(result) == ["DELETE /api/topic-permissions/shop/app", "POST /api/definitions"]
    assert result.document == {"topic_permissions": [
        {"user": "app", "vhost": "shop", "exchange": "amq.topic", "write": "^a", "read": "^b"},
    ]}
    assert changed_objects(result) == [
        ("topic_permissions", "topic_permissions[user=app, vhost=shop, exchange=events]", "delete"),
    ]


def test_topic_permission_removal_with_purge_reimports_only_declared(rmq, version):
    desired = {"topic_permissions": [{"user": "app", "vhost": "shop", "exchange": "amq.topic", "write": "^z"}]}
    result = run(rmq, version, desired, purge={"topic_permissions": True})
    assert request_lines(result) == ["DELETE /api/topic-permissions/shop/app", "POST /api/definitions"]
    assert result.document == {"topic_permissions": [
        {"user": "app", "vhost": "shop", "exchange": "amq.topic", "write": "^z", "read": ".*"},
    ]}


@pytest.mark.parametrize("kind, path", [
    ("policies", "/api/policies/shop/ttl"),
    ("operator_policies", "/api/operator-policies/shop/cap"),
])
def test_policy_update_and_delete(rmq, version, kind, path):
    name = "ttl" if kind == "policies" else "cap"
    desired = {kind: [{"name": name, "vhost": "shop", "pattern": "^x", "definition": {"max-length": 5},
                       "apply_to": "queues"}]}
    result = run(rmq, version, desired)
    assert changed_objects(result) == [(kind, "%s[vhost=shop, name=%s]" % (kind, name), "update")]
    value = {"pattern": "^x", "apply-to": "queues", "priority": 0, "definition": {"max-length": 5}}
    if kind == "policies":
        assert result.document == {"policies": [dict(vhost="shop", name="ttl", **value)]}
    else:
        assert result.document == {"parameters": [
            {"vhost": "shop", "component": "operator_policy", "name": "cap", "value": value},
        ]}
    result = run(rmq, version, {kind: [{"name": name, "vhost": "shop", "state": "absent"}]})
    assert request_lines(result) == ["DELETE " + path]


def test_policy_defaults(rmq, version):
    desired = {"policies": [{"name": "p", "pattern": ".*", "definition": {"max-length": 1}}],
               "operator_policies": [{"name": "o", "pattern": ".*", "definition": {"max-length": 1}}]}
    result = run(rmq, version, desired)
    assert result.document["policies"][0]["apply-to"] == "all"
    assert result.document["parameters"][0]["value"]["apply-to"] == "queues"
    assert result.document["policies"][0]["vhost"] == "/"


def test_vhost_limits_replace_and_delete(rmq, version):
    result = run(rmq, version, {"vhost_limits": [{"vhost": "shop", "max_queues": 5}]})
    assert result.document == {"parameters": [
        {"vhost": "shop", "component": "vhost-limits", "name": "limits", "value": {"max-queues": 5}},
    ]}
    for desired in ({"vhost_limits": [{"vhost": "shop", "state": "absent"}]},
                    {"vhost_limits": [{"vhost": "shop"}]}):
        result = run(rmq, version, desired)
        assert request_lines(result) == ["DELETE /api/parameters/vhost-limits/shop/limits"]
        assert result.before == {"vhost_limits": {"vhost=shop": {"max-connections": 100, "max-queues": 200}}}
    assert run(rmq, version, {"vhost_limits": [{"vhost": "/", "state": "absent"}]}).requests() == []


def test_user_limits_set_through_the_user_entry_and_removed_one_by_one(rmq, version):
    result = run(rmq, version, {"user_limits": [{"user": "app", "max_channels": 3}]})
    # Imported limits merge: set max-channels, delete max-connections.
    assert result.document == {"users": [
        {"name": "app", "password_hash": rmq.APP_HASH, "hashing_algorithm": rmq.SHA256,
         "tags": ["management"], "limits": {"max-channels": 3}},
    ]}
    assert request_lines(result) == ["POST /api/definitions", "DELETE /api/user-limits/app/max-connections"]
    result = run(rmq, version, {"user_limits": [{"user": "app", "state": "absent"}]})
    assert request_lines(result) == ["DELETE /api/user-limits/app/max-connections"]
    assert changed_objects(result) == [("user_limits", "user_limits[user=app]", "delete")]


def test_user_limits_with_a_new_user_and_a_password_change(rmq, version):
    desired = {"users": [{"name": "app", "password": "rotated"}, {"name": "new", "password": "pw"}],
               "user_limits": [{"user": "app", "max_connections": 10, "max_channels": 2},
                               {"user": "new", "max_connections": 1}]}
    users = dict((u["name"], u) for u in run(rmq, version, desired).document["users"])
    assert users["app"]["limits"] == {"max-channels": 2}
    assert users["app"]["password_hash"] == "FAKEHASH<rabbit_password_hashing_sha256:rotated>"
    assert users["new"]["limits"] == {"max-connections": 1}


def test_global_parameters(rmq, version):
    result = run(rmq, version, {"global_parameters": [{"name": "color", "value": {"r": 1}},
                                                     {"name": "cluster_name", "value": "eu-1"}]})
    assert result.document == {"global_parameters": [
        {"name": "cluster_name", "value": "eu-1"}, {"name": "color", "value": {"r": 1}},
    ]}
    result = run(rmq, version, {"global_parameters": [{"name": "color", "state": "absent"}]})
    assert request_lines(result) == ["DELETE /api/global-parameters/color"]


def test_federation_upstream_update_masks_credentials(rmq, version):
    new_uri = "amqp://fed:new-Secret@dc1.example/shop"
    desired = {"federation_upstreams": [{"name": "dc1", "vhost": "shop", "uri": [new_uri], "max_hops": 1,
                                         "ack_mode": "on-confirm", "prefetch_count": 50,
                                         "extra": {"queue-type": "quorum"}}]}
    result = run(rmq, version, desired)
    assert result.document == {"parameters": [
        {"vhost": "shop", "component": "federation-upstream", "name": "dc1",
         "value": {"uri": new_uri, "max-hops": 1, "ack-mode": "on-confirm", "prefetch-count": 50,
                   "queue-type": "quorum"}},
    ]}
    assert result.before["federation_upstreams"]["vhost=shop, name=dc1"]["uri"] == "amqp://fed:********@dc1.example/shop"
    assert result.after["federation_upstreams"]["vhost=shop, name=dc1"]["uri"] == "amqp://fed:********@dc1.example/shop"
    shown = json.dumps([result.before, result.after, result.changes])
    assert "new-Secret" not in shown and "upstream-Secret" not in shown


def test_federation_upstream_with_several_uris(rmq, version):
    desired = {"federation_upstreams": [{"name": "multi", "vhost": "shop", "uri": ["amqp://a", "amqp://b"]}]}
    value = run(rmq, version, desired).document["parameters"][0]["value"]
    assert value == {"uri": ["amqp://a", "amqp://b"]}


def test_federation_upstream_set_and_delete(rmq, version):
    desired = {"federation_upstreams": [{"name": "dc2", "vhost": "shop", "uri": ["amqp://dc2"]}],
               "federation_upstream_sets": [
                   {"name": "all-dcs", "vhost": "shop", "upstreams": ["dc1", {"upstream": "dc2", "max-hops": 2}]}]}
    result = run(rmq, version, desired)
    assert result.document["parameters"][1] == {
        "vhost": "shop", "component": "federation-upstream-set", "name": "all-dcs",
        "value": [{"upstream": "dc1"}, {"upstream": "dc2", "max-hops": 2}],
    }
    result = run(rmq, version, {"federation_upstreams": [{"name": "dc1", "vhost": "shop", "state": "absent"}],
                                "federation_upstream_sets": [{"name": "all-dcs", "vhost": "shop",
                                                              "state": "absent"}]})
    # The set goes before the upstream it names.
    assert request_lines(result) == [
        "DELETE /api/parameters/federation-upstream-set/shop/all-dcs",
        "DELETE /api/parameters/federation-upstream/shop/dc1",
    ]


def test_shovel_create_and_delete(rmq, version):
    desired = {"shovels": [{"name": "move", "vhost": "shop", "src_uri": ["amqp:///shop"], "src_exchange": "events",
                            "src_exchange_key": "#", "src_delete_after": "queue-length",
                            "dest_uri": ["amqp://u:p@remote/shop"], "dest_exchange": "events",
                            "dest_add_forward_headers": True, "ack_mode": "on-publish", "reconnect_delay": 5}]}
    result = run(rmq, version, desired)
    assert result.document == {"parameters": [
        {"vhost": "shop", "component": "shovel", "name": "move", "value": {
            "src-protocol": "amqp091", "dest-protocol": "amqp091", "src-uri": "amqp:///shop",
            "src-exchange": "events", "src-exchange-key": "#", "src-delete-after": "queue-length",
            "dest-uri": "amqp://u:p@remote/shop", "dest-exchange": "events", "dest-add-forward-headers": True,
            "ack-mode": "on-publish", "reconnect-delay": 5}},
    ]}
    assert result.after["shovels"]["vhost=shop, name=move"]["dest-uri"] == "amqp://u:********@remote/shop"
    result = run(rmq, version, {"shovels": [{"name": "drain", "vhost": "shop", "state": "absent"}]})
    assert request_lines(result) == ["DELETE /api/parameters/shovel/shop/drain"]
    assert "shovel-Secret" not in json.dumps(result.before)


def test_shovel_delete_after_as_a_number(rmq, version):
    desired = {"shovels": [{"name": "n", "vhost": "shop", "src_uri": ["amqp://"], "src_queue": "old",
                            "src_delete_after": "100", "dest_uri": ["amqp://"], "dest_queue": "orders"}]}
    value = run(rmq, version, desired).document["parameters"][0]["value"]
    assert value["src-delete-after"] == 100


def test_exchange_create_and_delete(rmq, version):
    desired = {"exchanges": [{"name": "dlx", "vhost": "shop", "type": "fanout", "internal": True,
                              "arguments": {"alternate-exchange": "events"}},
                             {"name": "events", "vhost": "shop", "state": "absent"}]}
    result = run(rmq, version, desired)
    assert result.document == {"exchanges": [
        {"name": "dlx", "vhost": "shop", "type": "fanout", "durable": True, "auto_delete": False,
         "internal": True, "arguments": {"alternate-exchange": "events"}},
    ]}
    # Its bindings go with the exchange: no separate request.
    assert request_lines(result) == ["POST /api/definitions", "DELETE /api/exchanges/shop/events"]


def test_queue_create_with_type_and_arguments(rmq, version):
    desired = {"queues": [
        {"name": "q.quorum", "vhost": "shop", "type": "quorum", "arguments": {"x-delivery-limit": 5}},
        {"name": "q.stream", "vhost": "shop", "arguments": {"x-queue-type": "stream", "x-max-age": "1D"}},
        {"name": "q.classic", "vhost": "shop"},
    ]}
    result = run(rmq, version, desired)
    assert result.document == {"queues": [
        {"name": "q.classic", "vhost": "shop", "durable": True, "auto_delete": False,
         "arguments": {"x-queue-type": "classic"}},
        {"name": "q.quorum", "vhost": "shop", "durable": True, "auto_delete": False,
         "arguments": {"x-delivery-limit": 5, "x-queue-type": "quorum"}},
        {"name": "q.stream", "vhost": "shop", "durable": True, "auto_delete": False,
         "arguments": {"x-max-age": "1D", "x-queue-type": "stream"}},
    ]}


def test_queue_without_type_follows_the_vhost_default(rmq):
    desired = {"vhosts": [{"name": "qq", "default_queue_type": "quorum"}],
               "queues": [{"name": "jobs", "vhost": "qq"}]}
    result = run(rmq, "4.0.5", desired)
    assert result.document["queues"][0]["arguments"] == {"x-queue-type": "quorum"}


def test_queue_change_is_an_error_naming_the_queue(rmq, version):
    desired = {"queues": [{"name": "orders", "vhost": "shop", "type": "quorum"},
                          {"name": "old", "vhost": "shop", "arguments": {"x-max-length": 10}}]}
    errors = errors_of(rmq, version, desired)
    assert len(errors) == 2
    assert errors[0].startswith("queues[vhost=shop, name=old]: cannot change arguments (broker: {}, declared: "
                                '{"x-max-length": 10})')
    assert errors[1].startswith("queues[vhost=shop, name=orders]: cannot change type (broker: classic, "
                                "declared: quorum)")
    assert "recreate_queues" in errors[1]


def test_queue_recreate_when_allowed(rmq, version):
    desired = {"queues": [{"name": "orders", "vhost": "shop", "type": "quorum"}]}
    result = run(rmq, version, desired, recreate_queues=True)
    assert request_lines(result) == ["DELETE /api/queues/shop/orders?if-empty=true", "POST /api/definitions"]
    # Its binding is declared again with it.
    assert result.document == {
        "queues": [{"name": "orders", "vhost": "shop", "durable": True, "auto_delete": False,
                    "arguments": {"x-queue-type": "quorum"}}],
        "bindings": [{"vhost": "shop", "source": "events", "destination_type": "queue", "destination": "orders",
                      "routing_key": "order.#", "arguments": {}}],
    }
    assert changed_objects(result) == [("queues", "queues[vhost=shop, name=orders]", "recreate")]


def test_quorum_queue_recreate_checks_the_count_itself(rmq, version):
    # The broker refuses if-empty for quorum queues and streams.
    desired = {"queues": [{"name": "orders.q", "vhost": "shop", "type": "classic"}]}
    result = run(rmq, version, desired, recreate_queues=True)
    assert request_lines(result) == [
        "GET /api/queues/shop/orders.q",
        "DELETE /api/queues/shop/orders.q",
        "POST /api/definitions",
    ]
    assert result.document["queues"][0]["arguments"] == {"x-queue-type": "classic"}
    assert result.document["bindings"][0]["destination"] == "orders.q"


@pytest.mark.parametrize("details, deleted", [
    ({"messages": 0, "messages_ready": 0, "messages_unacknowledged": 0}, True),
    ({"messages": 0}, True),
    ({}, True),
    ({"messages": 3, "messages_ready": 3, "messages_unacknowledged": 0}, False),
    ({"messages": 0, "messages_ready": 0, "messages_unacknowledged": 1}, False),
])
def test_apply_deletes_a_quorum_queue_only_when_empty(rmq, version, details, deleted):
    desired = {"queues": [{"name": "orders.q", "vhost": "shop", "type": "classic"}]}
    the_plan = run(rmq, version, desired, recreate_queues=True)
    api = FakeApi(answers={("GET", "/api/queues/shop/orders.q"): details})
    if deleted:
        applying.apply(api, the_plan)
        assert [(m, p) for m, p, _b in api.sent] == [
            ("GET", "/api/queues/shop/orders.q"),
            ("DELETE", "/api/queues/shop/orders.q"),
            ("POST", "/api/definitions"),
        ]
    else:
        with pytest.raises(ApiError, match=r"queue 'orders.q' in vhost 'shop' is not empty .*: not re-created"):
            applying.apply(api, the_plan)
        assert [m for m, _p, _b in api.sent] == ["GET"]


def test_queue_delete(rmq, version):
    result = run(rmq, version, {"queues": [{"name": "old", "vhost": "shop", "state": "absent"}]})
    assert request_lines(result) == ["DELETE /api/queues/shop/old"]


def test_binding_deletion_skipped_when_its_queue_goes(rmq, version):
    desired = {"queues": [{"name": "orders", "vhost": "shop", "state": "absent"}],
               "bindings": [{"vhost": "shop", "source": "events", "destination": "orders", "routing_key": "order.#",
                             "state": "absent"}]}
    assert request_lines(run(rmq, version, desired)) == ["DELETE /api/queues/shop/orders"]


def test_bindings_create_and_delete(rmq, version):
    desired = {"bindings": [
        {"vhost": "shop", "source": "events", "destination": "orders", "routing_key": "refund.#"},
        {"vhost": "shop", "source": "amq.topic", "destination": "events", "destination_type": "exchange",
         "routing_key": "#"},
        {"vhost": "shop", "source": "events", "destination": "orders.q", "routing_key": "x",
         "arguments": {"x-match": "all"}, "state": "absent"},
    ]}
    result = run(rmq, version, desired)
    assert result.document == {"bindings": [
        {"vhost": "shop", "source": "amq.topic", "destination_type": "exchange", "destination": "events",
         "routing_key": "#", "arguments": {}},
        {"vhost": "shop", "source": "events", "destination_type": "queue", "destination": "orders",
         "routing_key": "refund.#", "arguments": {}},
    ]}
    assert request_lines(result) == [
        "POST /api/definitions",
        "DELETE /api/bindings/shop/e/events/q/orders.q/{props}",
    ]


def test_requests_are_ordered_dependants_first(rmq, version):
    desired = {
        "queues": [{"name": "old", "vhost": "shop", "state": "absent"}],
        "exchanges": [{"name": "events", "vhost": "shop", "state": "absent"}],
        "shovels": [{"name": "drain", "vhost": "shop", "state": "absent"}],
        "policies": [{"name": "ttl", "vhost": "shop", "state": "absent"}],
        "users": [{"name": "legacy", "state": "absent"}],
        "global_parameters": [{"name": "color", "state": "absent"}],
        "vhosts": [{"name": "new"}],
    }
    assert request_lines(run(rmq, version, desired)) == [
        "POST /api/definitions",
        "DELETE /api/parameters/shovel/shop/drain",
        "DELETE /api/queues/shop/old",
        "DELETE /api/exchanges/shop/events",
        "DELETE /api/policies/shop/ttl",
        "DELETE /api/global-parameters/color",
        "POST /api/users/bulk-delete",
    ]


def test_summary_counts_per_kind_and_action(rmq, version):
    desired = {"users": [{"name": "a", "password": "x"}, {"name": "b", "password": "x"},
                         {"name": "legacy", "state": "absent"}]}
    assert run(rmq, version, desired).summary() == {"users": {"create": 2, "delete": 1}}


def test_upstream_sets_warn_about_the_cli_export_before_4(rmq, version):
    result = run(rmq, version)
    if version.startswith("3."):
        assert len(result.warnings) == 1
        assert "rabbitmq-server#11612" in result.warnings[0]
        assert result.warnings[0].startswith("RabbitMQ %s: while a federation upstream set exists" % version)
    else:
        assert result.warnings == []
    # No set left: no warning.
    desired = {"federation_upstream_sets": [{"name": "all-dcs", "vhost": "shop", "state": "absent"}]}
    assert run(rmq, version, desired).warnings == []


# --- purge --------------------------------------------------------------------------------------


def test_purge_is_off_by_default(rmq, version):
    assert run(rmq, version, {}, purge={}).requests() == []
    assert run(rmq, version, {}, purge=dict((k, False) for k in KINDS)).requests() == []


def test_purge_everything_but_vhosts_and_protected_objects(rmq, version):
    purge = dict((kind, kind != "vhosts") for kind in KINDS)
    result = run(rmq, version, {}, purge=purge)
    # Bindings go with their exchange, permissions and limits with their user.
    assert request_lines(result) == [
        "DELETE /api/parameters/shovel/shop/drain",
        "DELETE /api/queues/shop/old",
        "DELETE /api/queues/shop/orders",
        "DELETE /api/queues/shop/orders.q",
        "DELETE /api/exchanges/shop/events",
        "DELETE /api/parameters/federation-upstream-set/shop/all-dcs",
        "DELETE /api/parameters/federation-upstream/shop/dc1",
        "DELETE /api/policies/shop/ttl",
        "DELETE /api/operator-policies/shop/cap",
        "DELETE /api/parameters/vhost-limits/shop/limits",
        "DELETE /api/global-parameters/color",
        "POST /api/users/bulk-delete",
    ]
    # Never: the API user (and its permissions), internal_cluster_id, the
    # federation plugin's queue.
    assert result.requests()[-1][2] == {"users": ["app", "legacy"]}
    assert "admin" not in json.dumps(result.changes)
    assert "internal_cluster_id" not in json.dumps(result.changes)
    assert "federation: " not in json.dumps(result.changes)


def test_purge_one_kind(rmq, version):
    desired = {"policies": [{"name": "keep", "vhost": "shop", "pattern": ".", "definition": {"max-length": 1}}]}
    result = run(rmq, version, desired, purge={"policies": True})
    assert request_lines(result) == ["POST /api/definitions", "DELETE /api/policies/shop/ttl"]


def test_purge_vhosts_takes_everything_inside(rmq, version):
    result = run(rmq, version, {"vhosts": [{"name": "/"}]}, purge=dict((k, True) for k in KINDS))
    lines = request_lines(result)
    assert "DELETE /api/vhosts/shop" in lines
    assert not [line for line in lines if "/shop/" in line]


def test_protected_users_are_never_purged(rmq, version):
    result = run(rmq, version, {}, purge={"users": True, "permissions": True}, protected_users=["admin", "app"])
    assert result.requests() == [("POST", "/api/users/bulk-delete", {"users": ["legacy"]})]


def test_declared_absent_protected_user_is_still_deleted(rmq, version):
    # Protection is against purge; an explicit absent is obeyed.
    result = run(rmq, version, {"users": [{"name": "app", "state": "absent"}]}, protected_users=["app"])
    assert result.requests() == [("POST", "/api/users/bulk-delete", {"users": ["app"]})]


# --- validation: every error names the object and the field --------------------------------------------


def _with(kind, entry, **extra):
    desired = {kind: [entry]}
    desired.update(extra)
    return desired


# Choices and mutually exclusive options are the argument spec's: see
# test_invalid_arguments_fail_before_any_request in test_rabbitmq_definitions.py.
VALIDATION_CASES = [
    # regular expressions
    (_with("policies", {"name": "p", "vhost": "shop", "pattern": "([a-z", "definition": {"max-length": 1}}),
     None, "policies[vhost=shop, name=p].pattern: invalid regular expression '([a-z'"),
    (_with("operator_policies", {"name": "o", "pattern": "*x", "definition": {"max-length": 1}}),
     None, "operator_policies[vhost=/, name=o].pattern: invalid regular expression"),
    (_with("permissions", {"user": "app", "vhost": "shop", "configure": "(("}),
     None, "permissions[user=app, vhost=shop].configure: invalid regular expression '(('"),
    (_with("permissions", {"user": "app", "vhost": "shop", "write": "[z-a]"}),
     None, "permissions[user=app, vhost=shop].write: invalid regular expression"),
    (_with("permissions", {"user": "app", "vhost": "shop", "read": "a{2,1}"}),
     None, "permissions[user=app, vhost=shop].read: invalid regular expression"),
    (_with("topic_permissions", {"user": "app", "vhost": "shop", "write": "(?P<x"}),
     None, "topic_permissions[user=app, vhost=shop, exchange=amq.topic].write: invalid regular expression"),
    (_with("topic_permissions", {"user": "app", "vhost": "shop", "read": ")"}),
     None, "topic_permissions[user=app, vhost=shop, exchange=amq.topic].read: invalid regular expression"),
    # apply-to
    (_with("policies", {"name": "p", "pattern": ".", "apply_to": "bogus", "definition": {"max-length": 1}}),
     None, "policies[vhost=/, name=p].apply_to: 'bogus' is not one of all, exchanges, queues"),
    (_with("policies", {"name": "p", "pattern": ".", "apply_to": "streams", "definition": {"max-age": "1D"}}),
     "3.10.8", "policies[vhost=/, name=p].apply_to: 'streams' is not one of all, exchanges, queues (RabbitMQ 3.10.8)"),
    (_with("operator_policies", {"name": "o", "pattern": ".", "apply_to": "quorum_queues",
                                 "definition": {"max-length": 1}}),
     "3.10.8", "operator_policies[vhost=/, name=o].apply_to: 'quorum_queues' is not one of"),
    # policy keys by version
    (_with("policies", {"name": "ha", "pattern": ".", "definition": {"ha-mode": "all", "ha-sync-mode": "automatic"}}),
     "4.0.5", "policies[vhost=/, name=ha].definition: 'ha-mode' is not available on RabbitMQ 4.0.5: classic queue"
              " mirroring was removed in 4.0"),
    (_with("policies", {"name": "ha", "pattern": ".", "definition": {"ha-params": 2}}),
     "4.0.5", "policies[vhost=/, name=ha].definition: 'ha-params' is not available on RabbitMQ 4.0.5"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"max-lenght": 1}}),
     None, "policies[vhost=/, name=p].definition: 'max-lenght' is not a known policy key on RabbitMQ"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"consumer-timeout": 1000}}),
     "3.10.8", "policies[vhost=/, name=p].definition: 'consumer-timeout' is not a known policy key on RabbitMQ 3.10.8"),
    (_with("operator_policies", {"name": "o", "pattern": ".", "definition": {"dead-letter-exchange": "x"}}),
     None, "operator_policies[vhost=/, name=o].definition: 'dead-letter-exchange' is not a known operator policy key"),
    (_with("operator_policies", {"name": "o", "pattern": ".", "definition": {"ha-mode": "all"}}),
     "3.10.8", "operator_policies[vhost=/, name=o].definition: 'ha-mode' is not a known operator policy key"),
    # required fields
    (_with("policies", {"name": "p", "definition": {"max-length": 1}}),
     None, "policies[vhost=/, name=p].pattern: required when state is present"),
    (_with("policies", {"name": "p", "pattern": "."}),
     None, "policies[vhost=/, name=p].definition: required when state is present"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {}}),
     None, "policies[vhost=/, name=p].definition: must not be empty"),
    (_with("global_parameters", {"name": "g"}),
     None, "global_parameters[g].value: required when state is present"),
    (_with("federation_upstreams", {"name": "u", "vhost": "shop"}),
     None, "federation_upstreams[vhost=shop, name=u].uri: required when state is present"),
    # references
    (_with("permissions", {"user": "app", "vhost": "nowhere"}),
     None, "permissions[user=app, vhost=nowhere].vhost: virtual host 'nowhere' is neither declared nor existing"),
    (_with("permissions", {"user": "nobody", "vhost": "shop"}),
     None, "permissions[user=nobody, vhost=shop].user: user 'nobody' is neither declared nor existing"),
    (_with("permissions", {"user": "app", "vhost": "shop"}, vhosts=[{"name": "shop", "state": "absent"}]),
     None, "permissions[user=app, vhost=shop].vhost: virtual host 'shop' is deleted by this run"),
    (_with("permissions", {"user": "app", "vhost": "shop"}, users=[{"name": "app", "state": "absent"}]),
     None, "permissions[user=app, vhost=shop].user: user 'app' is deleted by this run"),
    (_with("topic_permissions", {"user": "nobody", "vhost": "shop"}),
     None, "topic_permissions[user=nobody, vhost=shop, exchange=amq.topic].user: user 'nobody' is neither"),
    (_with("policies", {"name": "p", "vhost": "nowhere", "pattern": ".", "definition": {"max-length": 1}}),
     None, "policies[vhost=nowhere, name=p].vhost: virtual host 'nowhere' is neither declared nor existing"),
    (_with("vhost_limits", {"vhost": "nowhere", "max_queues": 1}),
     None, "vhost_limits[vhost=nowhere].vhost: virtual host 'nowhere' is neither declared nor existing"),
    (_with("user_limits", {"user": "nobody", "max_channels": 1}),
     None, "user_limits[user=nobody].user: user 'nobody' is neither declared nor existing"),
    (_with("queues", {"name": "q", "vhost": "nowhere"}),
     None, "queues[vhost=nowhere, name=q].vhost: virtual host 'nowhere' is neither declared nor existing"),
    (_with("exchanges", {"name": "x", "vhost": "nowhere"}),
     None, "exchanges[vhost=nowhere, name=x].vhost: virtual host 'nowhere' is neither declared nor existing"),
    (_with("shovels", {"name": "s", "vhost": "nowhere", "src_uri": ["amqp://"], "src_queue": "a",
                       "dest_uri": ["amqp://"], "dest_queue": "b"}),
     None, "shovels[vhost=nowhere, name=s].vhost: virtual host 'nowhere' is neither declared nor existing"),
    (_with("federation_upstream_sets", {"name": "s", "vhost": "shop", "upstreams": ["dc1", "dc9"]}),
     None, "federation_upstream_sets[vhost=shop, name=s].upstreams[1]: upstream 'dc9' is neither declared nor"
           " existing in virtual host 'shop'"),
    (_with("federation_upstream_sets", {"name": "s", "vhost": "shop", "upstreams": []}),
     None, "federation_upstream_sets[vhost=shop, name=s].upstreams: at least one upstream is required"),
    (_with("federation_upstream_sets", {"name": "s", "vhost": "shop", "upstreams": [{"max-hops": 1}]}),
     None, "federation_upstream_sets[vhost=shop, name=s].upstreams[0]: the upstream name is missing"),
    (_with("bindings", {"vhost": "shop", "source": "nosuch", "destination": "orders"}),
     None, "bindings[vhost=shop, source=nosuch, destination=queue orders, routing_key=].source: exchange 'nosuch'"
           " is neither declared nor existing in virtual host 'shop'"),
    (_with("bindings", {"vhost": "shop", "source": "events", "destination": "nosuch", "routing_key": "k"}),
     None, "bindings[vhost=shop, source=events, destination=queue nosuch, routing_key=k].destination: queue"
           " 'nosuch' is neither declared nor existing"),
    (_with("bindings", {"vhost": "shop", "source": "events", "destination": "nosuch",
                        "destination_type": "exchange"}),
     None, "bindings[vhost=shop, source=events, destination=exchange nosuch, routing_key=].destination: exchange"
           " 'nosuch' is neither"),
    (_with("bindings", {"vhost": "shop", "source": "events", "destination": "orders"},
           queues=[{"name": "orders", "vhost": "shop", "state": "absent"}]),
     None, "bindings[vhost=shop, source=events, destination=queue orders, routing_key=].destination: queue 'orders'"),
    (_with("bindings", {"vhost": "shop", "source": "", "destination": "orders"}),
     None, "bindings[vhost=shop, source=, destination=queue orders, routing_key=].source: the default exchange"
           " cannot be bound explicitly"),
    # users
    (_with("users", {"name": "new"}),
     None, "users[new].password: a new user needs password or password_hash"),
    # duplicates
    ({"users": [{"name": "dup", "password": "a"}, {"name": "dup", "password": "b"}]},
     None, "users[dup]: declared more than once (users[0] and users[1] have the same name)"),
    ({"policies": [{"name": "p", "pattern": ".", "definition": {"max-length": 1}},
                   {"name": "p", "vhost": "/", "pattern": "x", "definition": {"max-length": 2}}]},
     None, "policies[vhost=/, name=p]: declared more than once (policies[0] and policies[1] have the same vhost and"
           " name)"),
    ({"permissions": [{"user": "app", "vhost": "shop"}, {"user": "app", "vhost": "shop", "state": "absent"}]},
     None, "permissions[user=app, vhost=shop]: declared more than once (permissions[0] and permissions[1] have"
           " the same user and vhost)"),
    ({"vhosts": [{"name": "a"}, {"name": "b"}, {"name": "a"}]}, None,
     "vhosts[a]: declared more than once (vhosts[0] and vhosts[2] have the same name)"),
    ({"queues": [{"name": "q", "vhost": "shop"}, {"name": "q", "vhost": "shop", "type": "quorum"}]},
     None, "queues[vhost=shop, name=q]: declared more than once"),
    ({"bindings": [{"vhost": "shop", "source": "events", "destination": "orders", "routing_key": "k"},
                   {"vhost": "shop", "source": "events", "destination": "orders", "routing_key": "k"}]},
     None, "bindings[vhost=shop, source=events, destination=queue orders, routing_key=k]: declared more than once"),
    # shovels
    (_with("shovels", {"name": "s", "vhost": "shop", "src_uri": ["amqp://"], "src_queue": "old",
                       "dest_uri": ["amqp://"]}),
     None, "shovels[vhost=shop, name=s].dest_queue: a shovel needs a destination: dest_queue or dest_exchange"),
    (_with("shovels", {"name": "s", "vhost": "shop", "src_uri": ["amqp://"], "src_queue": "old",
                       "dest_queue": "orders"}),
     None, "shovels[vhost=shop, name=s].dest_uri: a shovel needs a destination URI"),
    (_with("shovels", {"name": "s", "vhost": "shop", "src_queue": "old", "dest_uri": ["amqp://"],
                       "dest_queue": "orders"}),
     None, "shovels[vhost=shop, name=s].src_uri: required when state is present"),
    (_with("shovels", {"name": "s", "vhost": "shop", "src_uri": ["amqp://"], "dest_uri": ["amqp://"],
                       "dest_queue": "orders"}),
     None, "shovels[vhost=shop, name=s].src_queue: give exactly one of src_queue and src_exchange"),
    (_with("shovels", {"name": "s", "vhost": "shop", "src_uri": ["amqp://"], "src_queue": "a", "src_exchange": "b",
                       "dest_uri": ["amqp://"], "dest_queue": "orders"}),
     None, "shovels[vhost=shop, name=s].src_queue: give exactly one of src_queue and src_exchange"),
    (_with("shovels", {"name": "s", "vhost": "shop", "src_uri": ["amqp://"], "src_queue": "a",
                       "src_exchange_key": "k", "dest_uri": ["amqp://"], "dest_queue": "orders"}),
     None, "shovels[vhost=shop, name=s].src_exchange_key: only meaningful with src_exchange"),
    (_with("shovels", {"name": "s", "vhost": "shop", "src_uri": ["amqp://"], "src_queue": "a",
                       "dest_uri": ["amqp://"], "dest_queue": "b", "dest_exchange": "c"}),
     None, "shovels[vhost=shop, name=s].dest_queue: give only one of dest_queue and dest_exchange"),
    (_with("shovels", {"name": "s", "vhost": "shop", "src_uri": ["amqp://"], "src_queue": "a",
                       "src_delete_after": "sometimes", "dest_uri": ["amqp://"], "dest_queue": "b"}),
     None, "shovels[vhost=shop, name=s].src_delete_after: 'sometimes' is not never, queue-length or a number"),
    # limits
    (_with("vhost_limits", {"vhost": "shop", "max_connections": -2}),
     None, "vhost_limits[vhost=shop].max_connections: -2 is not a limit"),
    (_with("user_limits", {"user": "app", "max_channels": "many"}),
     None, "user_limits[user=app].max_channels: 'many' is not a limit"),
    # vhosts, exchanges, queues
    (_with("vhosts", {"name": "q", "default_queue_type": "quorum"}),
     "3.10.8", "vhosts[q].default_queue_type: needs RabbitMQ 3.11 or later (the broker runs 3.10.8)"),
    (_with("exchanges", {"name": "amq.mine", "vhost": "shop"}),
     None, "exchanges[vhost=shop, name=amq.mine].name: 'amq.mine' is reserved"),
    (_with("exchanges", {"name": "events", "vhost": "shop", "type": "direct"}),
     None, "exchanges[vhost=shop, name=events]: cannot change type (broker: topic, declared: direct): RabbitMQ"
           " cannot change an exchange in place"),
    (_with("queues", {"name": "amq.q", "vhost": "shop"}),
     None, "queues[vhost=shop, name=amq.q].name: the amq. prefix is reserved"),
    (_with("queues", {"name": "q", "vhost": "shop", "type": "quorum", "durable": False}),
     None, "queues[vhost=shop, name=q].durable: quorum queues are always durable"),
    (_with("queues", {"name": "q", "vhost": "shop", "type": "stream", "auto_delete": True}),
     None, "queues[vhost=shop, name=q].auto_delete: stream queues cannot be auto-delete"),
    (_with("queues", {"name": "q", "vhost": "shop", "type": "quorum", "arguments": {"x-queue-type": "classic"}}),
     None, "queues[vhost=shop, name=q].type: 'quorum' contradicts arguments x-queue-type 'classic'"),
    (_with("queues", {"name": "q", "vhost": "shop", "arguments": {"x-queue-type": "lazy"}}),
     None, "queues[vhost=shop, name=q].arguments.x-queue-type: 'lazy' is not one of classic, quorum, stream"),
    # queue arguments: type, value and queue type
    (_with("queues", {"name": "q", "vhost": "shop", "arguments": {"x-max-length": "1000"}}),
     None, "queues[vhost=shop, name=q].arguments.x-max-length: '1000' is not allowed; allowed: a whole number, 0 or"
           " more"),
    (_with("queues", {"name": "q", "vhost": "shop", "arguments": {"x-max-length-bytes": -5}}),
     None, "queues[vhost=shop, name=q].arguments.x-max-length-bytes: -5 is not allowed; allowed: a whole number, 0"),
    (_with("queues", {"name": "q", "vhost": "shop", "arguments": {"x-message-ttl": -1}}),
     None, "queues[vhost=shop, name=q].arguments.x-message-ttl: -1 is not allowed; allowed: milliseconds from 0 to"
           " 315360000000"),
    (_with("queues", {"name": "q", "vhost": "shop", "arguments": {"x-expires": 0}}),
     None, "queues[vhost=shop, name=q].arguments.x-expires: 0 is not allowed; allowed: milliseconds from 1 to"),
    (_with("queues", {"name": "q", "vhost": "shop", "arguments": {"x-overflow": "drop-tail"}}),
     None, "queues[vhost=shop, name=q].arguments.x-overflow: 'drop-tail' is not allowed; allowed: drop-head,"
           " reject-publish, reject-publish-dlx"),
    (_with("queues", {"name": "q", "vhost": "shop", "arguments": {"x-dead-letter-exchange": 5}}),
     None, "queues[vhost=shop, name=q].arguments.x-dead-letter-exchange: 5 is not allowed; allowed: a string"),
    (_with("queues", {"name": "q", "vhost": "shop", "arguments": {"x-dead-letter-routing-key": "dead"}}),
     None, "queues[vhost=shop, name=q].arguments.x-dead-letter-routing-key: needs x-dead-letter-exchange"),
    (_with("queues", {"name": "q", "vhost": "shop", "arguments": {"x-single-active-consumer": "yes"}}),
     None, "queues[vhost=shop, name=q].arguments.x-single-active-consumer: 'yes' is not allowed; allowed: true or"
           " false"),
    (_with("queues", {"name": "q", "vhost": "shop", "arguments": {"x-max-priority": 300}}),
     None, "queues[vhost=shop, name=q].arguments.x-max-priority: 300 is not allowed; allowed: a whole number from 0"
           " to 255"),
    (_with("queues", {"name": "q", "vhost": "shop", "arguments": {"x-queue-mode": "fast"}}),
     None, "queues[vhost=shop, name=q].arguments.x-queue-mode: 'fast' is not allowed; allowed: default, lazy"),
    (_with("queues", {"name": "q", "vhost": "shop", "type": "quorum", "arguments": {"x-max-priority": 10}}),
     None, "queues[vhost=shop, name=q].arguments.x-max-priority: not an argument of quorum queues (the broker"
           " refuses it); allowed for: classic"),
    (_with("queues", {"name": "q", "vhost": "shop", "type": "quorum", "arguments": {"x-delivery-limit": "5"}}),
     None, "queues[vhost=shop, name=q].arguments.x-delivery-limit: '5' is not allowed; allowed: a whole number"),
    (_with("queues", {"name": "q", "vhost": "shop", "type": "quorum", "arguments": {"x-queue-leader-locator": "near"}}),
     None, "queues[vhost=shop, name=q].arguments.x-queue-leader-locator: 'near' is not allowed; allowed:"
           " client-local, balanced"),
    (_with("queues", {"name": "q", "vhost": "shop", "type": "stream", "arguments": {"x-max-age": "7 days"}}),
     None, "queues[vhost=shop, name=q].arguments.x-max-age: '7 days' is not allowed; allowed: a whole number above 0"
           " and a unit Y, M, D, h, m or s"),
    (_with("queues", {"name": "q", "vhost": "shop", "type": "stream", "arguments": {"x-max-age": "0D"}}),
     None, "queues[vhost=shop, name=q].arguments.x-max-age: '0D' is not allowed"),
    (_with("queues", {"name": "q", "vhost": "shop", "type": "stream",
                      "arguments": {"x-stream-max-segment-size-bytes": -1}}),
     None, "queues[vhost=shop, name=q].arguments.x-stream-max-segment-size-bytes: -1 is not allowed"),
    (_with("queues", {"name": "q", "vhost": "shop", "type": "stream", "arguments": {"x-initial-cluster-size": 0}}),
     None, "queues[vhost=shop, name=q].arguments.x-initial-cluster-size: 0 is not a group size"),
    # policy and operator policy values by key
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"max-length": "1000"}}),
     None, "policies[vhost=/, name=p].definition.max-length: '1000' is not allowed; allowed: a whole number, 0 or"
           " more"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"message-ttl": -5}}),
     None, "policies[vhost=/, name=p].definition.message-ttl: -5 is not allowed; allowed: milliseconds, 0 or more"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"expires": 0}}),
     None, "policies[vhost=/, name=p].definition.expires: 0 is not allowed; allowed: milliseconds, 1 or more"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"overflow": "drop-tail"}}),
     None, "policies[vhost=/, name=p].definition.overflow: 'drop-tail' is not allowed; allowed: drop-head,"
           " reject-publish, reject-publish-dlx"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"dead-letter-exchange": 7}}),
     None, "policies[vhost=/, name=p].definition.dead-letter-exchange: 7 is not allowed; allowed: a string"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"max-age": "forever"}}),
     None, "policies[vhost=/, name=p].definition.max-age: 'forever' is not allowed"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"queue-version": 3}}),
     None, "policies[vhost=/, name=p].definition.queue-version: 3 is not allowed; allowed: 1, 2"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"federation-upstream-pattern": "(("}}),
     None, "policies[vhost=/, name=p].definition.federation-upstream-pattern: '((' is not a valid regular"
           " expression"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"delivery-limit": -1}}),
     "3.10.8", "policies[vhost=/, name=p].definition.delivery-limit: -1 is not allowed; allowed: a whole number, 0"),
    (_with("policies", {"name": "ha", "pattern": ".", "definition": {"ha-mode": "some"}}),
     "3.10.8", "policies[vhost=/, name=ha].definition.ha-mode: 'some' is not allowed; allowed: all, exactly, nodes"),
    (_with("policies", {"name": "ha", "pattern": ".", "definition": {"ha-mode": "exactly", "ha-params": "two"}}),
     "3.10.8", "policies[vhost=/, name=ha].definition.ha-params: 'two' is not allowed; allowed with ha-mode exactly"),
    (_with("policies", {"name": "ha", "pattern": ".", "definition": {"ha-sync-mode": "automatic"}}),
     "3.10.8", "policies[vhost=/, name=ha].definition.ha-sync-mode: needs ha-mode"),
    (_with("operator_policies", {"name": "o", "pattern": ".", "definition": {"max-length": "x"}}),
     None, "operator_policies[vhost=/, name=o].definition.max-length: 'x' is not allowed"),
    # empty names, for every kind that has one
    (_with("vhosts", {"name": ""}), None, "vhosts[0].name: must not be empty; allowed: a non-empty name"),
    (_with("users", {"name": "", "password": "x"}), None, "users[0].name: must not be empty"),
    (_with("permissions", {"user": "app", "vhost": ""}), None, "permissions[0].vhost: must not be empty"),
    (_with("topic_permissions", {"user": "", "vhost": "shop"}), None, "topic_permissions[0].user: must not be empty"),
    (_with("policies", {"name": "", "pattern": ".", "definition": {"max-length": 1}}),
     None, "policies[0].name: must not be empty"),
    (_with("vhost_limits", {"vhost": "", "max_queues": 1}), None, "vhost_limits[0].vhost: must not be empty"),
    (_with("user_limits", {"user": "", "max_channels": 1}), None, "user_limits[0].user: must not be empty"),
    (_with("global_parameters", {"name": "", "value": 1}), None, "global_parameters[0].name: must not be empty"),
    (_with("federation_upstreams", {"name": "", "vhost": "shop", "uri": ["amqp://x"]}),
     None, "federation_upstreams[0].name: must not be empty"),
    (_with("exchanges", {"name": "", "vhost": "shop"}), None, "exchanges[0].name: must not be empty"),
    (_with("queues", {"name": "", "vhost": "shop"}), None, "queues[0].name: must not be empty"),
    (_with("bindings", {"vhost": "shop", "source": "events", "destination": ""}),
     None, "bindings[0].destination: must not be empty"),
    # URIs (never shown: they may hold a password) and numbers of upstreams and shovels
    (_with("shovels", {"name": "s", "vhost": "shop", "src_uri": ["http://h/shop"], "src_queue": "a",
                       "dest_uri": ["amqp://"], "dest_queue": "b"}),
     None, "shovels[vhost=shop, name=s].src_uri[0]: not a valid AMQP URI (scheme 'http' is not amqp or amqps);"
           " allowed: amqp://[user[:password]@]host[:port][/vhost][?query]"),
    (_with("shovels", {"name": "s", "vhost": "shop", "src_uri": ["amqp://"], "src_queue": "a",
                       "dest_uri": ["amqp://u:Secret@h:99999/v"], "dest_queue": "b"}),
     None, "shovels[vhost=shop, name=s].dest_uri[0]: not a valid AMQP URI (the port is not a number from 1 to"
           " 65535)"),
    (_with("shovels", {"name": "s", "vhost": "shop", "src_uri": ["amqp://"], "src_queue": "a",
                       "dest_uri": ["amqp://"], "dest_queue": "b", "reconnect_delay": -3}),
     None, "shovels[vhost=shop, name=s].reconnect_delay: -3 is not allowed; allowed: a whole number, 0 or more"),
    (_with("federation_upstreams", {"name": "u", "vhost": "shop", "uri": ["amqp://ok", "amqp//dc2"]}),
     None, "federation_upstreams[vhost=shop, name=u].uri[1]: not a valid AMQP URI (no scheme)"),
    (_with("federation_upstreams", {"name": "u", "vhost": "shop", "uri": ["amqps://"]}),
     None, "federation_upstreams[vhost=shop, name=u].uri[0]: not a valid AMQP URI (amqps needs a host)"),
    (_with("federation_upstreams", {"name": "u", "vhost": "shop", "uri": ["amqp://h/a/b"]}),
     None, "federation_upstreams[vhost=shop, name=u].uri[0]: not a valid AMQP URI (the virtual host has a '/'"),
    (_with("federation_upstreams", {"name": "u", "vhost": "shop", "uri": ["amqp://h"], "prefetch_count": -1}),
     None, "federation_upstreams[vhost=shop, name=u].prefetch_count: -1 is not allowed; allowed: a whole number, 0"),
    (_with("user_limits", {"user": "app", "max_connections": "10"}),
     None, "user_limits[user=app].max_connections: '10' is not a limit"),
]


@pytest.mark.parametrize("desired, only_version, expected", VALIDATION_CASES)
def test_validation_errors(rmq, version, desired, only_version, expected):
    if only_version is not None and only_version != version:
        pytest.skip("rule for %s" % only_version)
    errors = errors_of(rmq, version, desired)
    assert any(e.startswith(expected) for e in errors), errors


@pytest.mark.parametrize("desired, expected", [
    ({"queues": [{"name": "q", "vhost": "shop", "type": "quorum",
                  "arguments": {"x-delivery-limit": -1, "x-queue-leader-locator": "balanced"}}]}, True),
    ({"queues": [{"name": "q", "vhost": "shop", "arguments": {"x-queue-leader-locator": "client-local"}}]}, True),
    ({"policies": [{"name": "p", "pattern": ".", "definition": {"delivery-limit": -1}}]}, True),
])
def test_values_rabbitmq_4_accepts(rmq, desired, expected):
    assert run(rmq, "4.0.5", desired).changed is expected
    with pytest.raises(DefinitionsError):
        run(rmq, "3.10.8", desired)


@pytest.mark.parametrize("arguments, qtype", [
    ({"x-max-length": 10, "x-overflow": "reject-publish", "x-message-ttl": 0, "x-expires": 1000,
      "x-dead-letter-exchange": "dlx", "x-dead-letter-routing-key": "dead", "x-single-active-consumer": True,
      "x-max-priority": 10, "x-queue-mode": "lazy", "x-queue-version": 2, "x-max-length-bytes": 0}, "classic"),
    ({"x-delivery-limit": 5, "x-dead-letter-strategy": "at-least-once", "x-quorum-initial-group-size": 1,
      "x-queue-leader-locator": "client-local", "x-max-in-memory-length": 0}, "quorum"),
    ({"x-max-age": "7D", "x-stream-max-segment-size-bytes": 500000000, "x-initial-cluster-size": 1,
      "x-max-length-bytes": 1000000}, "stream"),
    ({"x-custom-plugin-argument": "anything"}, "classic"),
])
def test_valid_queue_arguments_are_accepted(rmq, version, arguments, qtype):
    desired = {"queues": [{"name": "q", "vhost": "shop", "type": qtype, "arguments": arguments}]}
    assert run(rmq, version, desired).document["queues"][0]["arguments"] == dict(arguments, **{"x-queue-type": qtype})


def test_uri_errors_never_show_the_uri(rmq, version):
    desired = {"shovels": [{"name": "s", "vhost": "shop", "src_uri": ["amqp://u:Pw-Secret@h:notaport/v"],
                            "src_queue": "a", "dest_uri": ["amqps://shovel:Other-Secret@/v"], "dest_queue": "b"}],
               "federation_upstreams": [{"name": "u", "vhost": "shop", "uri": ["amqp:/fed:Fed-Secret@dc1/shop"]}]}
    errors = errors_of(rmq, version, desired)
    assert len(errors) == 3, errors
    for secret in ("Pw-Secret", "Other-Secret", "Fed-Secret", "notaport", "dc1"):
        assert secret not in " ".join(errors)


def test_validation_covers_every_kind():
    kinds = set()
    for desired, _version, _expected in VALIDATION_CASES:
        kinds |= set(desired)
    assert kinds == set(KINDS)


# Valid definitions only: the broker refuses ha-params or ha-sync-mode
# without ha-mode, and ha-sync-mode "all".
@pytest.mark.parametrize("definition", [
    {"ha-mode": "all"},
    {"ha-mode": "exactly", "ha-params": 2},
    {"ha-mode": "all", "ha-sync-mode": "automatic"},
])
def test_ha_policies_are_accepted_on_3(rmq, definition):
    desired = {"policies": [{"name": "ha", "pattern": ".", "definition": definition}]}
    assert run(rmq, "3.10.8", desired).document["policies"][0]["definition"] == definition


def test_version_specific_features_are_accepted_where_supported(rmq):
    desired = {
        "vhosts": [{"name": "q", "default_queue_type": "quorum"}],
        "policies": [{"name": "p", "pattern": ".", "apply_to": "quorum_queues",
                      "definition": {"consumer-timeout": 1000, "target-group-size": 3}}],
    }
    assert run(rmq, "4.0.5", desired).changed


def test_policy_keys_read_from_a_4_3_broker():
    # rabbit_registry:lookup_all(policy_validator) and (operator_policy_validator)
    # on RabbitMQ 4.3.6: four new keys; queue-master-locator is still
    # registered but refused (deprecated feature not permitted by default).
    new = {"consumer-disconnected-timeout", "delayed-retry-type", "delayed-retry-min", "delayed-retry-max"}
    assert allowed_policy_keys((4, 3, 6)) == (allowed_policy_keys((4, 0, 5)) | new) - {"queue-master-locator"}
    assert allowed_policy_keys((4, 3, 6), operator=True) == (
        allowed_policy_keys((4, 0, 5), operator=True) | new - {"consumer-disconnected-timeout"}
    ) - {"queue-master-locator"}
    assert "queue-master-locator" in allowed_policy_keys((4, 3, 6), extra=["queue-master-locator"])
    assert not new & allowed_policy_keys((4, 0, 5))


@pytest.mark.parametrize("desired, expected", [
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"queue-master-locator": "min-masters"}}),
     "policies[vhost=/, name=p].definition: 'queue-master-locator' is refused on RabbitMQ 4.3.6: the deprecated"
     " feature queue_master_locator"),
    (_with("operator_policies", {"name": "p", "pattern": ".", "definition": {"queue-master-locator": "random"}}),
     "operator_policies[vhost=/, name=p].definition: 'queue-master-locator' is refused on RabbitMQ 4.3.6"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"queue-version": 1}}),
     "policies[vhost=/, name=p].definition.queue-version: 1 is not allowed; allowed: 2"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"delayed-retry-type": "failed"}}),
     "policies[vhost=/, name=p].definition.delayed-retry-min: required when delayed-retry-type is failed"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"delayed-retry-type": "later"}}),
     "policies[vhost=/, name=p].definition.delayed-retry-type: 'later' is not allowed; allowed: all, failed,"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"delayed-retry-min": 0}}),
     "policies[vhost=/, name=p].definition.delayed-retry-min: 0 is not allowed; allowed: milliseconds, 1 or more"),
    (_with("policies", {"name": "p", "pattern": ".",
                        "definition": {"delayed-retry-min": 10, "delayed-retry-max": 5}}),
     "policies[vhost=/, name=p].definition.delayed-retry-max: 5 is smaller than delayed-retry-min (10)"),
    (_with("policies", {"name": "p", "pattern": ".", "definition": {"consumer-disconnected-timeout": "5"}}),
     "policies[vhost=/, name=p].definition.consumer-disconnected-timeout: '5' is not allowed"),
    (_with("queues", {"name": "q", "vhost": "shop", "arguments": {"x-queue-version": 1}}),
     "queues[vhost=shop, name=q].arguments.x-queue-version: 1 is not allowed; allowed: 2"),
    (_with("queues", {"name": "q", "vhost": "shop", "arguments": {"x-queue-master-locator": "random"}}),
     "queues[vhost=shop, name=q].arguments.x-queue-master-locator: refused on RabbitMQ 4.3 and later"),
    (_with("queues", {"name": "q", "vhost": "shop", "type": "quorum", "arguments": {"x-delayed-retry-type": "x"}}),
     "queues[vhost=shop, name=q].arguments.x-delayed-retry-type: 'x' is not allowed"),
    (_with("queues", {"name": "q", "vhost": "shop", "type": "quorum", "arguments": {"x-delayed-retry-type": "all"}}),
     "queues[vhost=shop, name=q].arguments.x-delayed-retry-min: required when x-delayed-retry-type is all"),
    (_with("queues", {"name": "q", "vhost": "shop", "type": "quorum",
                      "arguments": {"x-delayed-retry-min": 50, "x-delayed-retry-max": 20}}),
     "queues[vhost=shop, name=q].arguments.x-delayed-retry-max: 20 is smaller than x-delayed-retry-min (50)"),
])
def test_rabbitmq_4_3_refuses(rmq, desired, expected):
    errors = errors_of(rmq, "4.3.6", desired)
    assert any(e.startswith(expected) for e in errors), errors


def test_rabbitmq_4_3_accepts_its_new_keys(rmq):
    desired = {
        "policies": [{"name": "p", "pattern": ".", "apply_to": "quorum_queues",
                      "definition": {"delayed-retry-type": "failed", "delayed-retry-min": 100,
                                     "delayed-retry-max": 5000, "consumer-disconnected-timeout": 0}}],
        "queues": [{"name": "q", "vhost": "shop", "type": "quorum",
                    "arguments": {"x-delayed-retry-type": "all", "x-delayed-retry-min": 10}}],
    }
    assert run(rmq, "4.3.6", desired).changed
    with pytest.raises(DefinitionsError):
        run(rmq, "4.0.5", desired)
    # Storage v1 and the master locator are still fine before 4.3.
    older = {"queues": [{"name": "q", "vhost": "shop", "arguments": {"x-queue-version": 1,
                                                                     "x-queue-master-locator": "random"}}]}
    assert run(rmq, "4.0.5", older).changed


def test_every_problem_is_reported_at_once(rmq, version):
    desired = {
        "users": [{"name": "new"}],
        "permissions": [{"user": "app", "vhost": "nowhere"}],
        "policies": [{"name": "p", "pattern": "((", "definition": {"max-length": 1}}],
        "queues": [{"name": "orders", "vhost": "shop", "type": "stream"}],
    }
    errors = errors_of(rmq, version, desired)
    assert len(errors) == 4, errors
    assert [e.split("]")[0] + "]" for e in errors] == [
        "policies[vhost=/, name=p]",
        "permissions[user=app, vhost=nowhere]",
        "users[new]",
        "queues[vhost=shop, name=orders]",
    ]
    desired = {"users": [{"name": "new"}], "queues": [{"name": "orders", "vhost": "shop", "type": "stream"}],
               "exchanges": [{"name": "events", "vhost": "shop", "durable": False}]}
    assert len(errors_of(rmq, version, desired)) == 3


def test_error_messages_never_contain_secrets(rmq, version):
    desired = {"users": [{"name": "new", "password": "S3cret-pw", "password_hash": "HASH-SECRET"}],
               "federation_upstreams": [{"name": "u", "vhost": "nowhere", "uri": ["amqp://a:UriSecret@h"]}]}
    text = " ".join(errors_of(rmq, version, desired))
    for secret in ("S3cret-pw", "HASH-SECRET", "UriSecret"):
        assert secret not in text


def test_definitions_error_is_a_value_error():
    exc = DefinitionsError(["a", "b"])
    assert isinstance(exc, ValueError)
    assert str(exc) == "a; b"
    assert exc.errors == ["a", "b"]


def test_unknown_stored_algorithm_is_an_error(rmq, version):
    export = rmq.make_export(version)
    export["users"][1]["hashing_algorithm"] = "rabbit_password_hashing_sha384"
    with pytest.raises(DefinitionsError, match=r"users\[app\]\.password: unsupported hashing_algorithm"):
        plan(export, {"users": [{"name": "app", "password": "x"}]}, hasher=fake_hasher)


# --- user tags -------------------------------------------------------------------------------------------

ALLOWED_TAGS_TEXT = (
    "allowed: administrator, impersonator, management, monitoring, policymaker (or list it in extra_user_tags)"
)


def test_builtin_user_tags():
    assert USER_TAGS == {"administrator", "monitoring", "policymaker", "management", "impersonator"}
    assert user_tag_errors("users[ops].tags", sorted(USER_TAGS)) == []
    assert user_tag_errors("users[ops].tags", []) == []


def test_unknown_user_tag_names_the_user_and_the_allowed_tags():
    assert user_tag_errors("users[ops].tags", ["admin", "monitoring"]) == [
        "users[ops].tags: unknown tag 'admin'; " + ALLOWED_TAGS_TEXT,
    ]
    # One message per unknown tag; a tag's case matters to RabbitMQ.
    assert user_tag_errors("users[ops].tags", ["Administrator", "admin"]) == [
        "users[ops].tags: unknown tag 'Administrator'; " + ALLOWED_TAGS_TEXT,
        "users[ops].tags: unknown tag 'admin'; " + ALLOWED_TAGS_TEXT,
    ]
    assert user_tag_errors("users[ops].tags", "admin,management") == [
        "users[ops].tags: unknown tag 'admin'; " + ALLOWED_TAGS_TEXT,
    ]


def test_extra_user_tags_are_accepted_and_listed():
    assert user_tag_errors("users[ops].tags", ["ldap-ops", "management"], extra_tags=["ldap-ops"]) == []
    assert user_tag_errors("users[ops].tags", ["admin"], extra_tags=["ldap-ops", "monitoring"]) == [
        "users[ops].tags: unknown tag 'admin'; allowed: administrator, impersonator, management, monitoring,"
        " policymaker, ldap-ops (or list it in extra_user_tags)",
    ]


def test_plan_refuses_unknown_user_tags(rmq, version):
    desired = {"users": [{"name": "ops", "password": "ops-password", "tags": ["admin"]},
                         {"name": "app", "tags": ["management", "monitorng"]}]}
    assert errors_of(rmq, version, desired) == [
        "users[app].tags: unknown tag 'monitorng'; " + ALLOWED_TAGS_TEXT,
        "users[ops].tags: unknown tag 'admin'; " + ALLOWED_TAGS_TEXT,
    ]


def test_plan_accepts_extra_user_tags(rmq, version):
    desired = {"users": [{"name": "ops", "password": "ops-password", "tags": ["administrator", "oauth-ops"]}]}
    result = run(rmq, version, desired, extra_user_tags=["oauth-ops"])
    assert result.document["users"][0]["tags"] == ["administrator", "oauth-ops"]


def test_user_tags_of_absent_or_untagged_users_are_not_checked(rmq, version):
    desired = {"users": [{"name": "legacy", "state": "absent", "tags": ["admin"]}, {"name": "app"}]}
    assert changed_objects(run(rmq, version, desired)) == [("users", "users[legacy]", "delete")]


def test_tags_already_on_the_broker_are_not_checked(rmq, version):
    export = rmq.make_export(version)
    export["users"][1]["tags"] = ["admin"]
    assert plan(export, {}, hasher=fake_hasher).changes == []


# --- minimum password length ------------------------------------------------------------------------------


def test_password_length_error():
    assert password_length_error("users[bob].password", "short-pw", 12) == (
        "users[bob].password: shorter than min_password_length (12 characters); the value is not shown"
    )
    assert password_length_error("users[bob].password", "x" * 12, 12) is None
    assert password_length_error("users[bob].password", "x", 0) is None
    assert password_length_error("users[bob].password", "x", None) is None
    assert password_length_error("users[bob].password", None, 12) is None
    # Characters, not bytes.
    assert password_length_error("users[bob].password", "\u00e9" * 6, 6) is None


def test_plan_refuses_short_passwords_without_showing_them(rmq, version):
    desired = rmq.make_desired()  # app-Pa55word has 12 characters, legacy-pw 9
    desired["users"].append({"name": "bob", "password": "Tiny-Secret", "tags": ["management"]})
    desired["users"].append({"name": "hashed", "password_hash": "HASH"})
    desired["users"].append({"name": "gone", "password": "Gone-pw", "state": "absent"})
    errors = errors_of(rmq, version, desired, min_password_length=12)
    assert errors == [
        "users[bob].password: shorter than min_password_length (12 characters); the value is not shown",
        "users[legacy].password: shorter than min_password_length (12 characters); the value is not shown",
    ]
    text = " ".join(errors)
    for secret in ("Tiny-Secret", rmq.LEGACY_PASSWORD, "Gone-pw"):
        assert secret not in text
    # Long enough with a smaller minimum; no check at all by default.
    assert not run(rmq, version, rmq.make_desired(), min_password_length=9).changed
    assert not run(rmq, version, rmq.make_desired()).changed


def test_short_password_is_refused_even_with_update_password_on_create(rmq, version):
    desired = {"users": [{"name": "legacy", "password": "short", "update_password": "on_create"}]}
    assert errors_of(rmq, version, desired, min_password_length=8) == [
        "users[legacy].password: shorter than min_password_length (8 characters); the value is not shown",
    ]


# --- quorum initial group size ------------------------------------------------------------------------------

QUEUE_SIZE = "queues[vhost=/, name=q1].arguments.x-quorum-initial-group-size"


@pytest.mark.parametrize(
    "value, nodes, expected",
    [
        (3, 3, None),
        (1, 3, None),
        (1, 1, None),
        (5, None, None),
        (5, 3, QUEUE_SIZE + ": 5 is larger than the cluster (3 nodes); allowed: 1 to 3"),
        (4, 3, QUEUE_SIZE + ": 4 is larger than the cluster (3 nodes); allowed: 1 to 3"),
        (2, 1, QUEUE_SIZE + ": 2 is larger than the cluster (1 node); allowed: 1"),
    ],
)
def test_group_size_against_the_cluster(value, nodes, expected):
    assert group_size_error(QUEUE_SIZE, value, nodes) == expected


@pytest.mark.parametrize("value", [0, -1, "3", "three", 2.5, 3.0, True, None, [3]])
@pytest.mark.parametrize("nodes", [None, 3])
def test_group_size_must_be_a_whole_number_of_one_or_more(value, nodes):
    assert group_size_error(QUEUE_SIZE, value, nodes) == (
        "%s: %r is not a group size; allowed: a whole number, 1 or more (at most the number of cluster nodes)"
        % (QUEUE_SIZE, value)
    )


@pytest.mark.parametrize(
    "desired, expected",
    [
        ({}, False),
        ({"queues": [{"name": "q", "arguments": {"x-max-length": 5}}]}, False),
        ({"queues": [{"name": "q", "arguments": {"x-quorum-initial-group-size": 3}}]}, True),
        ({"queues": [{"name": "q", "arguments": {"x-quorum-initial-group-size": 3}, "state": "absent"}]}, False),
        # 1 always fits; invalid values are refused without the broker.
        ({"queues": [{"name": "q", "arguments": {"x-quorum-initial-group-size": 1}}]}, False),
        ({"queues": [{"name": "q", "arguments": {"x-quorum-initial-group-size": 0}}]}, False),
        ({"queues": [{"name": "q", "arguments": {"x-quorum-initial-group-size": "5"}}]}, False),
        ({"queues": [{"name": "q", "arguments": None}]}, False),
        ({"policies": [{"name": "p", "definition": {"initial-cluster-size": 5}}]}, True),
        ({"policies": [{"name": "p", "definition": {"initial-cluster-size": 5}, "state": "absent"}]}, False),
        ({"policies": [{"name": "p", "definition": {"max-length": 5}}]}, False),
        ({"operator_policies": [{"name": "p", "definition": {"initial-cluster-size": 2}}]}, True),
    ],
)
def test_needs_cluster_nodes(desired, expected):
    assert needs_cluster_nodes(desired) is expected


def _sized(size, policy_size=None, operator_size=None):
    desired = {"queues": [{"name": "q1", "type": "quorum", "arguments": {"x-quorum-initial-group-size": size}}]}
    if policy_size is not None:
        desired["policies"] = [{"name": "p", "vhost": "shop", "pattern": "^q", "apply_to": "queues",
                                "definition": {"initial-cluster-size": policy_size}}]
    if operator_size is not None:
        desired["operator_policies"] = [{"name": "o", "pattern": ".",
                                         "definition": {"initial-cluster-size": operator_size}}]
    return desired


def test_plan_refuses_group_sizes_larger_than_the_cluster(rmq, version):
    errors = errors_of(rmq, version, _sized(5, policy_size=4), cluster_nodes=3)
    assert errors == [
        "policies[vhost=shop, name=p].definition.initial-cluster-size: 4 is larger than the cluster (3 nodes);"
        " allowed: 1 to 3",
        QUEUE_SIZE + ": 5 is larger than the cluster (3 nodes); allowed: 1 to 3",
    ]


def test_operator_policy_group_size_is_checked_too(rmq):
    errors = errors_of(rmq, "4.0.5", _sized(1, operator_size=4), cluster_nodes=3,
                       extra_policy_keys=["initial-cluster-size"])
    assert errors == [
        "operator_policies[vhost=/, name=o].definition.initial-cluster-size: 4 is larger than the cluster"
        " (3 nodes); allowed: 1 to 3",
    ]


def test_plan_accepts_group_sizes_the_cluster_can_hold(rmq, version):
    result = run(rmq, version, _sized(3, policy_size=2), cluster_nodes=3)
    assert result.document["queues"][0]["arguments"] == {"x-quorum-initial-group-size": 3, "x-queue-type": "quorum"}
    assert result.document["policies"][0]["definition"] == {"initial-cluster-size": 2}


def test_plan_without_the_node_count_checks_only_the_form(rmq, version):
    assert run(rmq, version, _sized(7, policy_size=9)).changed
    assert errors_of(rmq, version, _sized(0, policy_size="2")) == [
        "policies[vhost=shop, name=p].definition.initial-cluster-size: '2' is not a group size; allowed: a whole"
        " number, 1 or more (at most the number of cluster nodes)",
        QUEUE_SIZE + ": 0 is not a group size; allowed: a whole number, 1 or more (at most the number of cluster"
        " nodes)",
    ]


def test_group_sizes_of_absent_objects_are_not_checked(rmq, version):
    desired = {"queues": [{"name": "old", "vhost": "shop", "state": "absent",
                           "arguments": {"x-quorum-initial-group-size": 9}}]}
    assert changed_objects(run(rmq, version, desired, cluster_nodes=1)) == [
        ("queues", "queues[vhost=shop, name=old]", "delete"),
    ]


def test_new_rules_are_reported_with_the_others(rmq, version):
    desired = _sized(5)
    desired["users"] = [{"name": "ops", "password": "Short-1", "tags": ["admin"]}]
    desired["permissions"] = [{"user": "ops", "vhost": "nowhere"}]
    errors = errors_of(rmq, version, desired, cluster_nodes=3, min_password_length=10)
    assert [e.split(":")[0] for e in errors] == [
        "users[ops].tags",
        "users[ops].password",
        QUEUE_SIZE,
        "permissions[user=ops, vhost=nowhere].vhost",
    ]
    assert "Short-1" not in " ".join(errors)


# --- secrets never shown ---------------------------------------------------------------------------------


def test_views_never_hold_passwords_hashes_or_uri_credentials(rmq, version):
    desired = rmq.make_desired()
    desired["users"] += [{"name": "new", "password": "New-Secret"},
                         {"name": "hashed", "password_hash": "HASH-Secret"}]
    find(desired, "users", name="app")["password"] = "Rotated-Secret"
    find(desired, "federation_upstreams", name="dc1")["uri"] = ["amqp://fed:Changed-Secret@dc1/shop"]
    desired["shovels"][0]["state"] = "absent"
    result = run(rmq, version, desired, hasher=lambda p, a: "HASHED(%s)" % p)
    shown = json.dumps([result.before, result.after, result.changes, result.summary(), request_lines(result)])
    for secret in ("New-Secret", "HASH-Secret", "Rotated-Secret", "Changed-Secret", "upstream-Secret",
                   "shovel-Secret", rmq.APP_HASH, rmq.ADMIN_HASH, "HASHED("):
        assert secret not in shown


# --- apply() and read_state() ------------------------------------------------------------------------------


class FakeApi(object):
    """Records requests; answers GETs from ``answers``; raises on ``fail``."""

    def __init__(self, answers=None, fail=None):
        self.answers = answers or {}
        self.fail = fail or {}
        self.sent = []

    def request(self, method, path, body=None):
        self.sent.append((method, path, body))
        if (method, path) in self.fail:
            raise self.fail[(method, path)]
        return copy.deepcopy(self.answers.get((method, path)))

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body):
        return self.request("POST", path, body)

    def delete(self, path):
        return self.request("DELETE", path)


def test_apply_sends_pre_requests_import_then_deletions(rmq, version):
    desired = {"queues": [{"name": "orders", "vhost": "shop", "type": "quorum"},
                          {"name": "old", "vhost": "shop", "state": "absent"}],
               "topic_permissions": [{"user": "app", "vhost": "shop", "exchange": "events", "state": "absent"}]}
    the_plan = run(rmq, version, desired, recreate_queues=True)
    api = FakeApi()
    applying.apply(api, the_plan)
    assert [(m, p) for m, p, _b in api.sent] == [
        ("DELETE", "/api/topic-permissions/shop/app"),
        ("DELETE", "/api/queues/shop/orders?if-empty=true"),
        ("POST", "/api/definitions"),
        ("DELETE", "/api/queues/shop/old"),
    ]
    assert api.sent[2][2] == the_plan.document


def test_apply_looks_up_the_binding_properties_key(rmq, version):
    the_plan = run(rmq, version, {"bindings": [{"vhost": "shop", "source": "events", "destination": "orders.q",
                                               "routing_key": "x", "arguments": {"x-match": "all"},
                                               "state": "absent"}]})
    listing = [
        {"routing_key": "x", "arguments": {}, "properties_key": "x"},
        {"routing_key": "x", "arguments": {"x-match": "all"}, "properties_key": "x~Ab3_"},
    ]
    api = FakeApi(answers={("GET", "/api/bindings/shop/e/events/q/orders.q"): listing})
    applying.apply(api, the_plan)
    assert [(m, p) for m, p, _b in api.sent] == [
        ("GET", "/api/bindings/shop/e/events/q/orders.q"),
        ("DELETE", "/api/bindings/shop/e/events/q/orders.q/x~Ab3_"),
    ]


def test_apply_binding_already_gone_sends_no_delete(rmq, version):
    the_plan = run(rmq, version, {"bindings": [{"vhost": "shop", "source": "events", "destination": "orders",
                                               "routing_key": "order.#", "state": "absent"}]})
    api = FakeApi(answers={("GET", "/api/bindings/shop/e/events/q/orders"): []})
    applying.apply(api, the_plan)
    assert [m for m, _p, _b in api.sent] == ["GET"]


def test_apply_ignores_404_on_delete_and_raises_other_errors(rmq, version):
    the_plan = run(rmq, version, {"policies": [{"name": "ttl", "vhost": "shop", "state": "absent"}],
                                  "global_parameters": [{"name": "color", "state": "absent"}]})
    gone = ApiError("DELETE", "/api/policies/shop/ttl", 404, "Not Found")
    api = FakeApi(fail={("DELETE", "/api/policies/shop/ttl"): gone})
    applying.apply(api, the_plan)
    assert len(api.sent) == 2
    broken = ApiError("DELETE", "/api/policies/shop/ttl", 500, "boom")
    api = FakeApi(fail={("DELETE", "/api/policies/shop/ttl"): broken})
    with pytest.raises(ApiError, match="boom"):
        applying.apply(api, the_plan)
    assert len(api.sent) == 1


def test_apply_stops_when_the_queue_is_not_empty(rmq, version):
    the_plan = run(rmq, version, {"queues": [{"name": "orders", "vhost": "shop", "type": "quorum"}]},
                   recreate_queues=True)
    not_empty = ApiError("DELETE", "/api/queues/shop/orders?if-empty=true", 400, "queue 'orders' in vhost 'shop' not empty")
    api = FakeApi(fail={("DELETE", "/api/queues/shop/orders?if-empty=true"): not_empty})
    with pytest.raises(ApiError, match="not empty"):
        applying.apply(api, the_plan)
    assert len(api.sent) == 1  # no import after a failed re-creation


def test_read_cluster_nodes_only_when_a_group_size_needs_it():
    api = FakeApi()
    assert read_cluster_nodes(api, {"queues": [{"name": "q", "arguments": {"x-max-length": 1}}]}) is None
    one = {"queues": [{"name": "q", "arguments": {"x-quorum-initial-group-size": 1}}]}
    assert read_cluster_nodes(api, one) is None
    assert api.sent == []

    nodes = [{"name": "rabbit@a"}, {"name": "rabbit@b"}, {"name": "rabbit@c"}]
    api = FakeApi(answers={("GET", "/api/nodes?columns=name"): nodes})
    desired = {"queues": [{"name": "q", "arguments": {"x-quorum-initial-group-size": 5}}],
               "policies": [{"name": "p", "definition": {"initial-cluster-size": 2}}]}
    assert read_cluster_nodes(api, desired) == 3
    assert api.sent == [("GET", "/api/nodes?columns=name", None)]


@pytest.mark.parametrize("answer", [None, [], {"name": "rabbit@a"}])
def test_read_cluster_nodes_refuses_an_answer_without_nodes(answer):
    api = FakeApi(answers={("GET", "/api/nodes?columns=name"): answer})
    with pytest.raises(ApiError, match="not a list of nodes"):
        read_cluster_nodes(api, {"policies": [{"name": "p", "definition": {"initial-cluster-size": 2}}]})


def test_read_state_one_get_unless_vhost_metadata_is_missing(rmq):
    export_4 = rmq.make_export("4.0.5")
    api = FakeApi(answers={("GET", "/api/definitions"): export_4})
    assert read_state(api, {"vhosts": [{"name": "shop", "description": "x"}]}) == (export_4, None)
    assert len(api.sent) == 1

    export_3 = rmq.make_export("3.10.8")
    details = rmq.make_vhost_details()
    api = FakeApi(answers={("GET", "/api/definitions"): export_3,
                           ("GET", "/api/vhosts?columns=name,description,tags,metadata"): details})
    assert read_state(api, {"vhosts": [{"name": "shop", "description": "x"}]}) == (export_3, details)
    assert [p for _m, p, _b in api.sent] == ["/api/definitions", "/api/vhosts?columns=name,description,tags,metadata"]

    api = FakeApi(answers={("GET", "/api/definitions"): export_3})
    assert read_state(api, {"vhosts": [{"name": "shop"}]}) == (export_3, None)
    assert len(api.sent) == 1


def test_read_state_adds_declared_internal_exchanges_the_export_hides(rmq):
    # RabbitMQ 4.3 exports no internal exchange.
    export = rmq.make_export("4.0.5")
    export["exchanges"] = [e for e in export.get("exchanges") or [] if e["name"] != "audit.fanout"]
    rows = [
        {"name": "audit.fanout", "vhost": "audit", "type": "fanout", "durable": True, "auto_delete": False,
         "internal": True, "arguments": {}, "message_stats": {}},
        {"name": "other.internal", "vhost": "audit", "type": "topic", "durable": True, "auto_delete": False,
         "internal": True, "arguments": {}},
    ]
    path = "/api/exchanges?columns=name%2Cvhost%2Ctype%2Cdurable%2Cauto_delete%2Cinternal%2Carguments"
    api = FakeApi(answers={("GET", "/api/definitions"): export, ("GET", path): rows})
    desired = {"exchanges": [{"name": "audit.fanout", "vhost": "audit", "type": "fanout", "internal": True}]}
    read, _details = read_state(api, desired)
    assert [p for _m, p, _b in api.sent] == ["/api/definitions", path]
    added = [e for e in read["exchanges"] if e["vhost"] == "audit"]
    assert added == [{"name": "audit.fanout", "vhost": "audit", "type": "fanout", "durable": True,
                      "auto_delete": False, "internal": True, "arguments": {}}]
    # Listed in the export, or not internal: the one GET is enough.
    api = FakeApi(answers={("GET", "/api/definitions"): read})
    read_state(api, desired)
    read_state(api, {"exchanges": [{"name": "plain", "vhost": "audit"}]})
    assert len(api.sent) == 2


def test_read_state_finds_the_hidden_exchange_a_binding_names(rmq):
    export = rmq.make_export("4.0.5")
    export["exchanges"] = [e for e in export.get("exchanges") or [] if e["name"] != "audit.fanout"] + [
        {"name": "audit.topic", "vhost": "audit", "type": "topic", "durable": True, "auto_delete": False,
         "internal": False, "arguments": {}}]
    path = "/api/exchanges?columns=name%2Cvhost%2Ctype%2Cdurable%2Cauto_delete%2Cinternal%2Carguments"
    rows = [{"name": "audit.fanout", "vhost": "audit", "type": "fanout", "durable": True, "auto_delete": False,
             "internal": True, "arguments": {}}]
    api = FakeApi(answers={("GET", "/api/definitions"): export, ("GET", path): rows})
    desired = {"bindings": [{"vhost": "audit", "source": "audit.topic", "destination_type": "exchange",
                             "destination": "audit.fanout", "routing_key": "#"}]}
    read, _details = read_state(api, desired)
    assert ("audit", "audit.fanout") in set((e["vhost"], e["name"]) for e in read["exchanges"])
    # Ends that are listed, declared in the run, or the default exchange: no second GET.
    api = FakeApi(answers={("GET", "/api/definitions"): read})
    read_state(api, desired)
    read_state(api, {"exchanges": [{"name": "new.x", "vhost": "audit"}],
                     "bindings": [{"vhost": "audit", "source": "new.x", "destination": "q"},
                                  {"vhost": "audit", "source": "", "destination": "q"}]})
    assert len(api.sent) == 2


# --- the API user's password has one owner ---------------------------------------------------------------

OWNER_ERROR = (
    "users[admin].password: differs from api_password (through the roles: rabbitmq_definitions_api_password, which"
    " defaults to rabbitmq_server_admin_password), the password every run logs in with; the administrator's password"
    " has one owner: leave password out of this entry in users (through the role: rabbitmq_definitions_users) (or"
    " give the same one) and change it through api_password (through the roles: rabbitmq_definitions_api_password,"
    " which defaults to rabbitmq_server_admin_password); the values are not shown"
)


def run_as_admin(rmq, version, users, **options):
    return run(rmq, version, {"users": users}, api_user="admin", api_password=rmq.ADMIN_PASSWORD, **options)


@pytest.mark.parametrize("entry", [
    {"name": "admin", "password": "admin-Pa55word", "tags": ["administrator"]},
    {"name": "admin"},
    {"name": "admin", "password": "Another-Pa55word", "update_password": "on_create"},
])
def test_api_user_declared_with_its_own_password_changes_nothing(rmq, version, entry):
    assert run_as_admin(rmq, version, [entry]).changes == []


def test_api_user_hash_of_its_own_password_is_accepted(rmq, version):
    # Another salt: stored as declared, and the next run logs in with the same password.
    other_salt = hash_password(rmq.ADMIN_PASSWORD, rmq.SHA256, b"\x0f\x0e\x0d\x0c")
    result = run_as_admin(rmq, version, [{"name": "admin", "password_hash": other_salt}])
    assert result.document["users"][0]["password_hash"] == other_salt
    assert run_as_admin(rmq, version, [{"name": "admin", "password_hash": rmq.ADMIN_HASH}]).changes == []


@pytest.mark.parametrize("entry, expected", [
    ({"name": "admin", "password": "Other-Pa55word-1"}, [OWNER_ERROR]),
    ({"name": "admin", "password_hash": "HASH-of-something-else"},
     ["users[admin].password_hash: is not a hash of api_password (through the roles:"
      " rabbitmq_definitions_api_password, which defaults to rabbitmq_server_admin_password), the password every run"
      " logs in with; the administrator's password has one owner: leave password_hash out of this entry in users"
      " (through the role: rabbitmq_definitions_users) and change it through api_password (through the roles:"
      " rabbitmq_definitions_api_password, which defaults to rabbitmq_server_admin_password); the values are not"
      " shown"]),
    ({"name": "admin", "state": "absent"},
     ["users[admin]: the API user (api_user) cannot be deleted: every run logs in as it; remove this entry from users"
      " (through the role: rabbitmq_definitions_users)"]),
    ({"name": "admin", "tags": ["management"]},
     ["users[admin].tags: the API user needs the administrator tag (every run logs in as it to read and write"
      " definitions); allowed: tags that include administrator"]),
])
def test_api_user_password_has_one_owner(rmq, version, entry, expected):
    errors = errors_of(rmq, version, {"users": [entry]}, api_user="admin", api_password=rmq.ADMIN_PASSWORD)
    assert errors == expected
    assert rmq.ADMIN_PASSWORD not in " ".join(errors) and "Other-Pa55word-1" not in " ".join(errors)


def test_other_users_and_plans_without_an_api_user_are_not_concerned(rmq, version):
    # Without api_user (direct callers), and for any other user, the rule does not apply.
    assert run(rmq, version, {"users": [{"name": "admin", "password": "Other-Pa55word-1"}]}).changed
    assert run_as_admin(rmq, version, [{"name": "app", "password": "Other-Pa55word-1"}]).changed


# --- imports of any size: requests of bounded size, in dependency order -----------------------------------


def many(n):
    return {
        "vhosts": [{"name": "v%03d" % i} for i in range(n)],
        "users": [{"name": "u%03d" % i, "password": "pw"} for i in range(n)],
        "permissions": [{"user": "u%03d" % i, "vhost": "v%03d" % i} for i in range(n)],
        "queues": [{"name": "q", "vhost": "v%03d" % i, "type": "quorum"} for i in range(n)],
        "bindings": [{"vhost": "v%03d" % i, "source": "amq.direct", "destination": "q"} for i in range(n)],
    }


def test_a_small_plan_is_one_import(rmq, version):
    steps = run(rmq, version, many(3)).steps()
    assert [(s.method, s.path) for s in steps] == [("POST", "/api/definitions")]


@pytest.mark.parametrize("budget", [planning.IMPORT_BUDGET, 100, 20])
def test_large_imports_are_split_in_dependency_order(rmq, version, budget):
    result = run(rmq, version, many(60))
    steps = result.steps(budget)
    imported = [(section, entry) for step in steps for section, entries in step.body.items() for entry in entries]
    # Every entry exactly once, and each request within the budget (one entry may fill it alone).
    assert sorted(json.dumps(e, sort_keys=True) for _s, e in imported) == sorted(
        json.dumps(e, sort_keys=True) for entries in result.document.values() for e in entries)
    weights = {"vhosts": 20, "queues": 5}
    for step in steps:
        total = sum(weights.get(section, 1) * len(entries) for section, entries in step.body.items())
        assert total <= max(budget, 20)
    order = [section for section, _e in imported]
    first = dict((section, order.index(section)) for section in set(order))
    last = dict((section, len(order) - 1 - order[::-1].index(section)) for section in set(order))
    assert last["vhosts"] < first["permissions"] and last["users"] < first["permissions"]
    assert last["queues"] < first["bindings"]
    assert len(steps) > 1


def test_default_budget_splits_1000_virtual_hosts_in_requests_of_25(rmq):
    steps = run(rmq, "4.0.5", {"vhosts": [{"name": "v%04d" % i} for i in range(1000)]}).steps()
    assert [len(s.body["vhosts"]) for s in steps] == [25] * 40


def test_apply_sends_the_requests_in_order(rmq, version):
    the_plan = run(rmq, version, many(30))
    api = FakeApi()
    applying.apply(api, the_plan)
    assert [(m, p) for m, p, _b in api.sent] == [("POST", "/api/definitions")] * len(the_plan.steps())
    assert [b for _m, _p, b in api.sent] == [s.body for s in the_plan.steps()]


# --- the way back: what a run touches, and the plan that restores it -------------------------------------


def test_touched_objects_include_what_goes_with_them(rmq, version):
    desired = {"vhosts": [{"name": "shop", "state": "absent"}, {"name": "new"}]}
    planner = planner_for(rmq.make_export(version), desired, rmq.make_vhost_details(), api_user="admin")
    planner.run()
    touched = planning.touched(planner)
    # The deleted vhost's contents, and the permissions an import gives the API user on a new one.
    assert ("queues", ("shop", "orders")) in touched
    assert ("bindings", ("shop", "events", "queue", "orders", "order.#", "{}")) in touched
    assert ("operator_policies", ("shop", "cap")) in touched
    assert ("permissions", ("shop", "admin")) in touched and ("permissions", ("new", "admin")) in touched
    assert ("users", ("app",)) not in touched


def test_revert_plan_brings_back_what_changed_and_leaves_the_rest(rmq):
    before = rmq.make_export("4.0.5")
    desired = {"users": [{"name": "app", "password": "rotated"}, {"name": "new", "password": "pw"}],
               "queues": [{"name": "old", "vhost": "shop", "state": "absent"}],
               "policies": [{"name": "ttl", "vhost": "shop", "pattern": "^x", "definition": {"max-length": 1}}]}
    planner = planner_for(before, desired, hasher=fake_hasher)
    planner.run()
    # As if the run stopped after importing the users and deleting queue old (and its shovel's binding).
    after = copy.deepcopy(before)
    after["users"][1]["password_hash"] = "FAKEHASH"
    after["users"].append({"name": "new", "password_hash": "X", "hashing_algorithm": rmq.SHA256, "tags": []})
    after["queues"] = [q for q in after["queues"] if q["name"] != "old"]
    back = planning.revert_plan(planner, after)
    assert changed_objects(back) == [
        ("users", "users[app]", "update"),
        ("users", "users[new]", "delete"),
        ("queues", "queues[vhost=shop, name=old]", "create"),
    ]
    assert request_lines(back) == ["POST /api/definitions", "POST /api/users/bulk-delete"]
    assert back.document["users"][0]["password_hash"] == rmq.APP_HASH


def test_api_user_permissions_declared_absent_on_a_new_vhost_are_removed(rmq, version):
    desired = {"vhosts": [{"name": "new"}], "permissions": [{"user": "admin", "vhost": "new", "state": "absent"}]}
    result = run(rmq, version, desired, api_user="admin")
    assert request_lines(result) == ["POST /api/definitions", "DELETE /api/permissions/new/admin"]
    assert changed_objects(result)[-1] == ("permissions", "permissions[user=admin, vhost=new]", "delete")
