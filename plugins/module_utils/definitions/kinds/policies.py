# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Policies: a pattern, what it applies to, a priority and a definition of policy keys."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import NAME, VHOST, Kind, state
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.model import format_version
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.queue_arguments import delayed_retry_errors
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.policy_keys import (
    DENIED_REASON,
    HA_POLICY_KEYS,
    POLICY_GROUP_SIZE_KEY,
    allowed_apply_to,
    allowed_policy_keys,
    denied_policy_keys,
    ha_errors,
    value_rules,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.values import (
    group_size_error,
    regex_error,
    rule_errors,
)

POLICY_OPTIONS = {
    "name": NAME,
    "vhost": VHOST,
    "pattern": dict(type="str", description="Regular expression matching the names of queues or exchanges. Required"
                                            " when present."),
    "apply_to": dict(
        type="str",
        choices=["all", "exchanges", "queues", "classic_queues", "quorum_queues", "streams"],
        description=["What the policy applies to. V(classic_queues), V(quorum_queues) and V(streams) need RabbitMQ"
                     " 3.12 or later. Defaults to V(all) for policies and V(queues) for operator policies."],
    ),
    "priority": dict(type="int", default=0, description="Priority; the highest matching policy applies."),
    "definition": dict(
        type="dict",
        description=[
            "Policy keys and values, for example C(max-length) with C(1000). Keys the broker version does not"
            " know, and values of the wrong type or out of range (C(max-length) must be a whole number,"
            " C(overflow) one of its modes...), are refused before any change. Required when present.",
            "C(initial-cluster-size) must be a whole number from 1 to the number of cluster nodes.",
        ],
    ),
    "state": state("Whether the policy should exist."),
}


def policy_value(entry):
    """The canonical value of a policy as an export or the import holds it."""
    return {
        "pattern": entry.get("pattern"),
        "apply-to": entry.get("apply-to", "all"),
        "priority": entry.get("priority", 0),
        "definition": entry.get("definition") or {},
    }


class Policies(Kind):
    name = "policies"
    description = ["Policies."]
    purge_description = "Purge policies."
    options = POLICY_OPTIONS
    section = "policies"
    apply_rank = 5
    delete_rank = 6
    operator = False
    default_apply_to = "all"

    def value(self, entry):
        return {
            "pattern": entry.get("pattern"),
            "apply-to": self.get(entry, "apply_to") or self.default_apply_to,
            "priority": self.get(entry, "priority"),
            "definition": entry.get("definition"),
        }

    def check(self, decl, entry, errors):
        if not decl.present:
            return
        self.require(decl, entry, errors, "pattern", "definition")
        if entry.get("pattern") is not None:
            reason = regex_error(entry["pattern"])
            if reason:
                errors.append("%s.pattern: invalid regular expression %r: %s" % (decl.label, entry["pattern"], reason))
        if entry.get("definition") is not None and not entry["definition"]:
            errors.append("%s.definition: must not be empty" % decl.label)

    def validate(self, decl, ctx, errors):
        if not decl.present:
            return
        shown = format_version(ctx.version)
        apply_to = allowed_apply_to(ctx.version)
        if decl.value["apply-to"] not in apply_to:
            errors.append("%s.apply_to: %r is not one of %s (RabbitMQ %s)"
                          % (decl.label, decl.value["apply-to"], ", ".join(apply_to), shown))
        keys = allowed_policy_keys(ctx.version, operator=self.operator, extra=ctx.option("extra_policy_keys"))
        definition = decl.value["definition"] or {}
        for name in sorted(definition):
            if name in keys:
                continue
            if name in denied_policy_keys(ctx.version):
                errors.append("%s.definition: %r is refused on RabbitMQ %s: %s"
                              % (decl.label, name, shown, DENIED_REASON[name]))
            elif name in HA_POLICY_KEYS and not self.operator:
                errors.append("%s.definition: %r is not available on RabbitMQ %s: classic queue mirroring was"
                              " removed in 4.0 (use quorum queues)" % (decl.label, name, shown))
            else:
                errors.append("%s.definition: %r is not a known %s key on RabbitMQ %s"
                              % (decl.label, name, "operator policy" if self.operator else "policy", shown))
        known = dict((k, v) for k, v in definition.items() if k in keys)
        errors.extend(rule_errors(decl.label + ".definition", known, value_rules(ctx.version)))
        if HA_POLICY_KEYS & set(known):
            errors.extend(ha_errors(decl.label + ".definition", known))
        errors.extend(delayed_retry_errors(decl.label + ".definition", known))
        if POLICY_GROUP_SIZE_KEY in definition:
            error = group_size_error("%s.definition.%s" % (decl.label, POLICY_GROUP_SIZE_KEY),
                                     definition[POLICY_GROUP_SIZE_KEY], ctx.option("cluster_nodes"))
            if error:
                errors.append(error)

    def group_sizes(self, entry):
        """Quorum group sizes this (module) entry declares."""
        definition = entry.get("definition")
        if isinstance(definition, dict) and POLICY_GROUP_SIZE_KEY in definition:
            return [definition[POLICY_GROUP_SIZE_KEY]]
        return []

    def read(self, export, details):
        return dict(((e["vhost"], e["name"]), policy_value(e)) for e in export.get("policies") or [])

    def import_entry(self, key, value):
        return dict(vhost=key[0], name=key[1], **value)

    def delete_path(self, key):
        return api_path("policies", key[0], key[1])


KIND = Policies()
