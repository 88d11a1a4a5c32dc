# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Exchanges. RabbitMQ cannot change one in place: a difference is an error."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import VHOST, Kind, state
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.model import differences

# Exchanges every virtual host has; they cannot be declared or deleted.
DEFAULT_EXCHANGES = frozenset(
    ("", "amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match", "amq.rabbitmq.trace")
)
# Reserved names (amq.*) and what the federation plugin declares for its links.
RESERVED_PREFIX = "amq."
PLUGIN_PREFIX = "federation: "


def reserved(name):
    """Names that belong to the broker or its plugins: never purged."""
    return name in DEFAULT_EXCHANGES or name.startswith((RESERVED_PREFIX, PLUGIN_PREFIX))


class Exchanges(Kind):
    name = "exchanges"
    description = ["Exchanges. RabbitMQ cannot change an existing exchange's properties; a difference is an error."]
    purge_description = "Purge exchanges."
    options = {
        "name": dict(type="str", required=True, description="Name (the C(amq.) prefix is reserved)."),
        "vhost": VHOST,
        "type": dict(type="str", default="direct",
                     description="Exchange type, for example V(direct), V(fanout), V(topic), V(headers)."),
        "durable": dict(type="bool", default=True, description="Survives a broker restart."),
        "auto_delete": dict(type="bool", default=False, description="Deleted when its last binding is removed."),
        "internal": dict(type="bool", default=False, description="Clients cannot publish to it directly."),
        "arguments": dict(type="dict", default={}, description="Optional arguments, for example"
                                                               " C(alternate-exchange)."),
        "state": state("Whether the exchange should exist."),
    }
    section = "exchanges"
    apply_rank = 8
    delete_rank = 3

    def value(self, entry):
        return {
            "type": self.get(entry, "type"),
            "durable": bool(self.get(entry, "durable")),
            "auto_delete": bool(self.get(entry, "auto_delete")),
            "internal": bool(self.get(entry, "internal")),
            "arguments": dict(entry.get("arguments") or {}),
        }

    def check(self, decl, entry, errors):
        name = decl.key[1]
        if name and (name in DEFAULT_EXCHANGES or name.startswith(RESERVED_PREFIX)):
            errors.append("%s.name: %r is reserved (the amq. prefix and the default exchange belong to the broker)"
                          % (decl.label, name))

    def validate_state(self, decl, have, ctx, errors):
        if decl.present and have is not None and have != decl.value:
            errors.append("%s: cannot change %s: RabbitMQ cannot change an exchange in place; delete it first"
                          " (state: absent), then declare it again" % (decl.label, differences(have, decl.value)))

    def read(self, export, details):
        result = {}
        for entry in export.get("exchanges") or []:
            result[(entry["vhost"], entry["name"])] = {
                "type": entry.get("type", "direct"),
                "durable": bool(entry.get("durable", True)),
                "auto_delete": bool(entry.get("auto_delete", False)),
                "internal": bool(entry.get("internal", False)),
                "arguments": dict(entry.get("arguments") or {}),
            }
        return result

    def protected(self, key, ctx):
        return reserved(key[1])

    def import_entry(self, key, value):
        return dict(name=key[1], vhost=key[0], **copy.deepcopy(value))

    def delete_path(self, key):
        return api_path("exchanges", key[0], key[1])

    def plan(self, ctx):
        for key, decl, have in ctx.pairs(self):
            if decl is None or not decl.present:
                ctx.plan.record(self, key, "delete", before=copy.deepcopy(have))
                ctx.plan.delete(self, "DELETE", self.delete_path(key), keys=[key])
            elif have is None:  # an existing one is equal (validate_state() refused any difference)
                ctx.plan.add_import(self, key, self.import_entry(key, decl.value))
                ctx.plan.record(self, key, "create", after=copy.deepcopy(decl.value))


KIND = Exchanges()
