# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Bindings from an exchange to a queue or an exchange. Identified by all their fields."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds import exchanges, queues, vhosts
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import VHOST, Kind, state
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.model import canonical_json


def binding_entry(key):
    return {
        "vhost": key[0],
        "source": key[1],
        "destination_type": key[2],
        "destination": key[3],
        "routing_key": key[4],
        "arguments": json.loads(key[5]),
    }


class Bindings(Kind):
    name = "bindings"
    description = ["Bindings from an exchange to a queue or an exchange."]
    purge_description = "Purge bindings."
    options = {
        "vhost": VHOST,
        "source": dict(type="str", required=True, description="Source exchange."),
        "destination": dict(type="str", required=True, description="Destination queue or exchange."),
        "destination_type": dict(type="str", choices=["queue", "exchange"], default="queue",
                                 description="Whether the destination is a queue or an exchange."),
        "routing_key": dict(type="str", default="", no_log=False, description="Routing key (binding key)."),
        "arguments": dict(type="dict", default={}, description="Binding arguments (for example for headers"
                                                               " exchanges)."),
        "state": state("Whether the binding should exist."),
    }
    key_fields = ("vhost", "source", "destination_type", "destination", "routing_key", "arguments")
    name_fields = ("vhost", "destination")  # source "" has its own message
    identity = "vhost, source, destination_type, destination, routing_key and arguments"
    section = "bindings"
    apply_rank = 10
    delete_rank = 0

    def key(self, entry):
        return (
            self.get(entry, "vhost"),
            entry["source"],
            self.get(entry, "destination_type"),
            entry["destination"],
            self.get(entry, "routing_key"),
            canonical_json(dict(entry.get("arguments") or {})),
        )

    def ident(self, key):
        vhost, source, dtype, destination, routing_key, arguments = key
        text = "vhost=%s, source=%s, destination=%s %s, routing_key=%s" % (
            vhost, source, dtype, destination, routing_key)
        if arguments != "{}":
            text += ", arguments=%s" % arguments
        return text

    def value(self, entry):
        return {"routing_key": self.get(entry, "routing_key"), "arguments": dict(entry.get("arguments") or {})}

    def check(self, decl, entry, errors):
        if decl.present and decl.key[1] == "":
            errors.append("%s.source: the default exchange cannot be bound explicitly" % decl.label)

    def validate_references(self, decl, ctx, errors):
        vhost, source, dtype, destination = decl.key[:4]
        if not decl.present or (vhost,) not in ctx.final(vhosts.KIND):
            return
        known_exchanges = ctx.final(exchanges.KIND)
        if source and source not in exchanges.DEFAULT_EXCHANGES and (vhost, source) not in known_exchanges:
            errors.append("%s.source: exchange %r is neither declared nor existing in virtual host %r"
                          % (decl.label, source, vhost))
        if dtype == "queue":
            known = (vhost, destination) in ctx.final(queues.KIND)
        else:
            known = destination in exchanges.DEFAULT_EXCHANGES or (vhost, destination) in known_exchanges
        if not known:
            errors.append("%s.destination: %s %r is neither declared nor existing in virtual host %r"
                          % (decl.label, dtype, destination, vhost))

    def read(self, export, details):
        result = {}
        for entry in export.get("bindings") or []:
            arguments = entry.get("arguments") or {}
            key = (entry["vhost"], entry["source"], entry.get("destination_type", "queue"), entry["destination"],
                   entry.get("routing_key", ""), canonical_json(arguments))
            result[key] = {"routing_key": key[4], "arguments": arguments}
        return result

    def depends_on(self, key, ctx):
        vhost, source, dtype, destination = key[:4]
        deps = Kind.depends_on(self, key, ctx) + [(exchanges.KIND.name, (vhost, source))]
        deps.append(((queues.KIND if dtype == "queue" else exchanges.KIND).name, (vhost, destination)))
        return deps

    def protected(self, key, ctx):
        # Bindings of amq.* exchanges are the operator's; the federation
        # plugin's own are not.
        return key[1].startswith(exchanges.PLUGIN_PREFIX) or key[3].startswith(exchanges.PLUGIN_PREFIX)

    def import_entry(self, key, value):
        return binding_entry(key)

    def plan(self, ctx):
        gone = ctx.gone(self)
        gone_exchanges = ctx.gone(exchanges.KIND)
        gone_queues = ctx.gone(queues.KIND)
        for key, decl, have in ctx.pairs(self):
            if decl is None or not decl.present:
                vhost, source, dtype, destination = key[:4]
                ends = [(vhost, source) in gone_exchanges,
                        (vhost, destination) in (gone_queues if dtype == "queue" else gone_exchanges)]
                if any(ends):
                    continue  # goes with its exchange or queue
                ctx.plan.record(self, key, "delete", before=copy.deepcopy(have))
                # The API names a binding by a properties key the export
                # lacks: applying.py looks it up, then deletes.
                ctx.plan.delete(self, "DELETE_BINDING", key, keys=[key])
                continue
            if have is None:
                ctx.plan.add_import(self, key, binding_entry(key))
                ctx.plan.record(self, key, "create", after=copy.deepcopy(decl.value))
        # Bindings of a re-created queue go with it: import them again.
        for key in sorted(ctx.current[self.name]):
            if key[2] == "queue" and (queues.KIND.name, (key[0], key[3])) in ctx.recreated and key not in gone:
                ctx.plan.add_import(self, key, binding_entry(key))


KIND = Bindings()
