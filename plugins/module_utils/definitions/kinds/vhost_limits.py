# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Limits of a virtual host (runtime parameter vhost-limits); an entry states the complete set."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import VHOST, Kind, state
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.values import limit_error

COMPONENT = "vhost-limits"


def limits_of(entry, fields):
    """``{"max-connections": 10}`` from ``{"max_connections": 10}`` (unset fields left out)."""
    return dict((field.replace("_", "-"), entry[field]) for field in fields if entry.get(field) is not None)


def limit_errors(decl, errors):
    if not decl.present:
        return
    for field, value in sorted(decl.value.items()):
        reason = limit_error(value)
        if reason:
            errors.append("%s.%s: %s" % (decl.label, field.replace("-", "_"), reason))


class VhostLimits(Kind):
    name = "vhost_limits"
    description = ["Limits of a virtual host. An entry states the complete set of limits; a limit left out is"
                   " removed."]
    purge_description = "Purge virtual host limits."
    options = {
        "vhost": VHOST,
        "max_connections": dict(type="int", description="Maximum number of client connections (-1 for no limit, 0"
                                                        " refuses all)."),
        "max_queues": dict(type="int", description="Maximum number of queues (-1 for no limit)."),
        "state": state("V(absent) removes every limit of the virtual host."),
    }
    fields = ("max_connections", "max_queues")
    key_fields = ("vhost",)
    identity = "vhost"
    section = "parameters"
    apply_rank = 7
    delete_rank = 8

    def ident(self, key):
        return "vhost=%s" % key[0]

    def value(self, entry):
        return limits_of(entry, self.fields)

    def check(self, decl, entry, errors):
        limit_errors(decl, errors)

    def read(self, export, details):
        return dict(((e["vhost"],), dict(e.get("value") or {}))
                    for e in export.get("parameters") or [] if e.get("component") == COMPONENT)

    def import_entry(self, key, value):
        return {"vhost": key[0], "component": COMPONENT, "name": "limits", "value": value}

    def delete_path(self, key):
        return api_path("parameters", COMPONENT, key[0], "limits")

    def plan(self, ctx):
        for key, decl, have in ctx.pairs(self):
            if decl is None or not decl.present or not decl.value:
                if have is not None:
                    ctx.plan.record(self, key, "delete", before=dict(have))
                    ctx.plan.delete(self, "DELETE", self.delete_path(key), keys=[key])
                continue
            if have == decl.value:
                continue
            ctx.plan.add_import(self, key, self.import_entry(key, decl.value))
            ctx.plan.record(self, key, "create" if have is None else "update",
                            before=None if have is None else dict(have), after=dict(decl.value))


KIND = VhostLimits()
