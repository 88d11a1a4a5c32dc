# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""migration_plan / migration_report: blue's export in, green's declarations out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.mqops.rabbitmq.plugins.filter.migration_plan import FilterModule, migration_plan
from ansible_collections.mqops.rabbitmq.plugins.filter.migration_report import migration_report
from ansible_collections.mqops.rabbitmq.plugins.module_utils import migration

# Trimmed from GET /api/definitions of the migration scenario's RabbitMQ 3.10 blue.
BLUE = {
    "rabbitmq_version": "3.10.8",
    "users": [
        {"name": "admin", "password_hash": "ADMINHASH", "hashing_algorithm": "rabbit_password_hashing_sha256",
         "tags": ["administrator"], "limits": {}},
        {"name": "shop-app", "password_hash": "SHOPHASH", "hashing_algorithm": "rabbit_password_hashing_sha256",
         "tags": ["monitoring"], "limits": {"max-connections": 10}},
        {"name": "other-app", "password_hash": "OTHERHASH", "tags": "management,policymaker", "limits": {}},
    ],
    "vhosts": [{"name": "shop"}, {"name": "/"}, {"name": "other", "metadata": {"description": "Other",
                                                                                "tags": [], "default_queue_type": "quorum"}}],
    "permissions": [
        {"user": "shop-app", "vhost": "shop", "configure": "^shop\\.", "write": ".*", "read": ".*"},
        {"user": "admin", "vhost": "shop", "configure": ".*", "write": ".*", "read": ".*"},
        {"user": "other-app", "vhost": "other", "configure": "", "write": ".*", "read": ".*"},
    ],
    "topic_permissions": [],
    "parameters": [
        {"vhost": "shop", "component": "vhost-limits", "name": "limits", "value": {"max-queues": 50}},
        {"vhost": "shop", "component": "federation-upstream", "name": "dc1",
         "value": {"uri": "amqp://fed:secret@dc1/shop", "max-hops": 1, "ack-mode": "on-confirm", "bind-nowait": True}},
        {"vhost": "shop", "component": "shovel", "name": "old-shovel", "value": {"src-uri": "amqp://"}},
    ],
    "global_parameters": [{"name": "internal_cluster_id", "value": "rabbitmq-cluster-id-x"},
                          {"name": "cluster_name", "value": "blue"}, {"name": "audit_label", "value": "eu"}],
    "policies": [
        {"vhost": "shop", "name": "shop-ha", "pattern": "^shop\\.", "apply-to": "queues",
         "definition": {"ha-mode": "all", "ha-sync-mode": "automatic", "max-length": 100000}, "priority": 0},
        {"vhost": "shop", "name": "legacy-lazy", "pattern": "^legacy\\.", "apply-to": "queues",
         "definition": {"queue-mode": "lazy"}, "priority": 1},
    ],
    "queues": [
        {"name": "shop.priority", "vhost": "shop", "durable": True, "auto_delete": False,
         "arguments": {"x-max-priority": 5, "x-queue-type": "classic"}},
        {"name": "shop.orders", "vhost": "shop", "durable": True, "auto_delete": False,
         "arguments": {"x-queue-type": "classic", "x-overflow": "reject-publish-dlx"}},
        {"name": "shop.temp", "vhost": "shop", "durable": False, "auto_delete": True, "arguments": {}},
        {"name": "legacy.audit", "vhost": "shop", "durable": True, "auto_delete": False,
         "arguments": {"x-queue-mode": "lazy", "x-queue-type": "classic", "x-queue-master-locator": "min-masters"}},
        {"name": "shop.log", "vhost": "shop", "durable": True, "auto_delete": False,
         "arguments": {"x-queue-type": "stream"}},
        {"name": "other.q", "vhost": "other", "durable": True, "auto_delete": False,
         "arguments": {"x-queue-type": "quorum"}},
    ],
    "exchanges": [{"name": "shop.events", "vhost": "shop", "type": "topic", "durable": True, "auto_delete": False,
                   "internal": False, "arguments": {}},
                  {"name": "amq.custom", "vhost": "shop", "type": "direct"}],
    "bindings": [{"source": "shop.events", "vhost": "shop", "destination": "shop.orders",
                  "destination_type": "queue", "routing_key": "order.#", "arguments": {}},
                 {"source": "", "vhost": "shop", "destination": "shop.orders", "destination_type": "queue",
                  "routing_key": "shop.orders", "arguments": {}}],
}
SETTINGS = {"target": "4.3.6", "skip_users": ["admin"], "blue_hosts": ["blue1", "fd00::2"], "amqp_user": "admin",
            "amqp_password": "p@ss/word", "amqp_port": 5672}


def plan(blue=None, green=None, **settings):
    return migration_plan(copy.deepcopy(blue or BLUE), green or {}, dict(SETTINGS, **settings))


def by_name(items):
    return {item["name"]: item for item in items}


def test_mirrored_classic_queues_become_quorum_and_their_arguments_follow():
    queues = by_name(plan(vhosts=["shop"])["definitions"]["queues"])
    assert queues["shop.orders"] == {"name": "shop.orders", "vhost": "shop", "type": "quorum", "durable": True,
                                     "auto_delete": False, "arguments": {"x-overflow": "reject-publish"}}
    assert queues["shop.priority"]["type"] == "quorum" and queues["shop.priority"]["arguments"] == {}
    # Mirrored, but neither durable nor permanent: stays classic.
    assert queues["shop.temp"]["type"] == "classic"
    # Not mirrored (the legacy policy wins by priority and holds no ha-mode): classic, removed arguments dropped.
    assert queues["legacy.audit"] == {"name": "legacy.audit", "vhost": "shop", "type": "classic", "durable": True,
                                      "auto_delete": False, "arguments": {}}
    assert queues["shop.log"]["type"] == "stream"


def test_policies_lose_mirroring_and_removed_keys_and_empty_ones_are_left_out():
    result = plan(vhosts=["shop"])
    assert result["definitions"]["policies"] == [
        {"name": "shop-ha", "vhost": "shop", "pattern": "^shop\\.", "apply_to": "queues", "priority": 0,
         "definition": {"max-length": 100000}}]
    notes = "\n".join(result["notes"])
    assert "policy shop-ha in vhost shop: dropped ha-mode, ha-sync-mode" in notes
    assert "policy legacy-lazy in vhost shop: not carried over, it only held queue-mode" in notes
    assert "x-max-priority dropped" in notes
    assert "shop.log in vhost shop: a stream" in notes
    assert "shovel old-shovel in vhost shop: not copied" in notes


def test_on_a_3x_target_nothing_is_converted():
    result = plan(vhosts=["shop"], target="3.13.7")
    queues = by_name(result["definitions"]["queues"])
    assert queues["shop.orders"]["type"] == "classic"
    assert result["definitions"]["policies"][0]["definition"]["ha-mode"] == "all"


def test_users_keep_their_hash_and_green_keeps_its_administrator():
    result = plan(vhosts=["shop"])
    assert result["definitions"]["users"] == [
        {"name": "shop-app", "password_hash": "SHOPHASH", "hashing_algorithm": "rabbit_password_hashing_sha256",
         "tags": ["monitoring"]}]
    assert result["definitions"]["user_limits"] == [{"user": "shop-app", "max_connections": 10}]
    # The administrator's permissions stay green's business too.
    assert [p["user"] for p in result["definitions"]["permissions"]] == ["shop-app"]
    everything = plan()
    users = by_name(everything["definitions"]["users"])
    assert sorted(users) == ["other-app", "shop-app"]
    assert users["other-app"]["tags"] == ["management", "policymaker"]
    assert users["other-app"]["hashing_algorithm"] == "rabbit_password_hashing_sha256"


def test_virtual_host_selection_and_global_parameters():
    assert plan(vhosts=["shop"])["definitions"]["vhosts"] == [{"name": "shop"}]
    assert plan(vhosts=["shop"])["definitions"]["global_parameters"] == []
    everything = plan()
    assert by_name(everything["definitions"]["vhosts"])["other"] == {"name": "other", "description": "Other",
                                                                     "default_queue_type": "quorum"}
    assert everything["definitions"]["global_parameters"] == [{"name": "audit_label", "value": "eu"}]
    with pytest.raises(AnsibleFilterError, match="rabbitmq_migrate_vhosts: nope not on blue"):
        plan(vhosts=["nope"])


def test_parameters_federation_and_limits():
    definitions = plan(vhosts=["shop"])["definitions"]
    assert definitions["vhost_limits"] == [{"vhost": "shop", "max_queues": 50}]
    assert definitions["federation_upstreams"] == [
        {"name": "dc1", "vhost": "shop", "uri": ["amqp://fed:secret@dc1/shop"], "max_hops": 1,
         "ack_mode": "on-confirm", "extra": {"bind-nowait": True}}]
    assert [x["name"] for x in definitions["exchanges"]] == ["shop.events"]
    # The default exchange's implicit bindings are not declared.
    assert [b["source"] for b in definitions["bindings"]] == ["shop.events"]


def test_one_shovel_per_queue_with_every_blue_node_and_quoted_credentials():
    result = plan(vhosts=["shop"])
    shovels = by_name(result["shovels"])
    assert sorted(shovels) == ["mqops-migrate-legacy.audit", "mqops-migrate-shop.orders",
                               "mqops-migrate-shop.priority", "mqops-migrate-shop.temp"]
    orders = shovels["mqops-migrate-shop.orders"]
    assert orders["src_uri"] == ["amqp://admin:p%40ss%2Fword@blue1:5672/shop",
                                 "amqp://admin:p%40ss%2Fword@[fd00::2]:5672/shop"]
    assert orders["dest_uri"] == ["amqp:///shop"]
    assert orders["ack_mode"] == "on-confirm" and orders["src_queue"] == orders["dest_queue"] == "shop.orders"
    root = plan(blue={"vhosts": [{"name": "/"}], "queues": [{"name": "q", "vhost": "/"}]})
    assert root["shovels"][0]["dest_uri"] == ["amqp:///%2F"]
    assert root["shovels"][0]["src_uri"][0].endswith("@blue1:5672/%2F")
    assert root["summary"] == ["//q (classic -> classic)"]
    with pytest.raises(AnsibleFilterError, match="rabbitmq_migrate_blue_amqp_hosts"):
        plan(blue={"vhosts": [{"name": "/"}], "queues": [{"name": "q", "vhost": "/"}]}, blue_hosts=[])


def test_conflicts_name_what_green_holds_differently():
    green = {
        "queues": [{"name": "shop.orders", "vhost": "shop", "durable": True, "auto_delete": False,
                    "arguments": {"x-queue-type": "classic"}},
                   {"name": "shop.priority", "vhost": "shop", "type": "quorum", "durable": True, "auto_delete": False,
                    "arguments": {"x-queue-type": "quorum"}}],
        "exchanges": [{"name": "shop.events", "vhost": "shop", "type": "direct", "durable": True}],
        "users": [{"name": "shop-app", "password_hash": "OTHER"}],
        "policies": [{"vhost": "shop", "name": "shop-ha", "pattern": "^shop\\.", "apply-to": "queues",
                      "definition": {"max-length": 100000}, "priority": 0}],
        "permissions": [{"user": "shop-app", "vhost": "shop", "configure": "", "write": ".*", "read": ".*"}],
    }
    found = plan(vhosts=["shop"], green=green)["conflicts"]
    assert len(found) == 4, found
    assert found[0].startswith("queue shop.orders in vhost shop exists on green with another type/arguments")
    assert "exchange shop.events in vhost shop exists on green as direct; blue's is topic" in found
    assert "user shop-app exists on green with another password" in found
    assert "permissions of shop-app in vhost shop differ on green" in found
    # What the migration itself declared is no conflict on a re-run.
    first = plan(vhosts=["shop"])
    declared = first["definitions"]
    green_after = {
        "queues": [dict(q, arguments=dict(q["arguments"], **{"x-queue-type": q["type"]})) for q in declared["queues"]],
        "exchanges": declared["exchanges"],
        "users": declared["users"],
        "policies": [dict(p, **{"apply-to": p["apply_to"]}) for p in declared["policies"]],
        "permissions": declared["permissions"],
    }
    assert plan(vhosts=["shop"], green=green_after)["conflicts"] == []


def test_report_per_queue_and_drained():
    result = plan(vhosts=["shop"])
    before = [{"vhost": "shop", "name": "shop.orders", "messages": 2000}]
    now = [{"vhost": "shop", "name": q} for q in ("shop.orders", "shop.priority", "legacy.audit", "shop.temp")]
    now = [dict(q, messages=0) for q in now]
    green = [{"vhost": "shop", "name": "shop.orders", "messages": 2500}]
    shovels = [{"vhost": "shop", "name": "mqops-migrate-shop.orders", "state": "running", "forwarded": 2500}]
    report = migration_report(result, before, now, green, shovels)
    assert report["drained"] is True
    assert ("shop/shop.orders (classic -> quorum): blue before 2000, blue now 0, moved by the shovel 2500 (running), "
            "green now 2500") in report["lines"]
    assert "blue before ?" in report["lines"][0] or "blue before ?" in " ".join(report["lines"])
    now[0]["messages"] = 3
    assert migration_report(result, before, now, green, shovels)["drained"] is False
    assert migration_report(result, before, [], green, shovels)["drained"] is False


def test_effective_policy_is_the_highest_priority_match():
    policies = BLUE["policies"] + [{"vhost": "shop", "name": "exch", "pattern": ".*", "apply-to": "exchanges",
                                    "priority": 9, "definition": {}}]
    assert migration.effective_policy(policies, "shop", "legacy.shop.x")["name"] == "legacy-lazy"
    assert migration.effective_policy(policies, "shop", "shop.x")["name"] == "shop-ha"
    assert migration.effective_policy(policies, "other", "shop.x") is None


def test_filter_is_registered():
    assert FilterModule().filters()["migration_plan"] is migration_plan


def test_what_is_dropped_follows_the_target_version():
    # The definitions module's rules decide: the master locator is still
    # accepted on 4.0 (denied by default from 4.3 on).
    on_40 = by_name(plan(vhosts=["shop"], target="4.0.5")["definitions"]["queues"])
    assert on_40["legacy.audit"]["arguments"] == {"x-queue-master-locator": "min-masters"}
    on_43 = plan(vhosts=["shop"], blue=dict(BLUE, policies=BLUE["policies"] + [
        {"vhost": "shop", "name": "v1", "pattern": "^v1", "apply-to": "queues",
         "definition": {"queue-version": 1, "queue-master-locator": "random", "max-length": 5}}]))
    notes = "\n".join(on_43["notes"])
    assert "policy v1 in vhost shop: dropped queue-master-locator (" in notes
    assert "queue-version (1 is not allowed; allowed: 2)" in notes
    assert by_name(on_43["definitions"]["policies"])["v1"]["definition"] == {"max-length": 5}
