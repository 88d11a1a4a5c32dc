# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Queues: classic, quorum and streams. Type, durability and arguments cannot change in place."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds import exchanges, vhosts
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import VHOST, Kind, state
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.model import differences
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.queue_arguments import (
    GROUP_SIZE_ARGUMENTS,
    argument_errors,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.values import group_size_error

QUEUE_TYPES = vhosts.QUEUE_TYPES


class Queues(Kind):
    name = "queues"
    description = ["Queues. RabbitMQ cannot change an existing queue's type, durability or arguments; a difference"
                   " is an error unless O(recreate_queues) is set."]
    purge_description = "Purge queues (with their messages)."
    options = {
        "name": dict(type="str", required=True, description="Name (the C(amq.) prefix is reserved)."),
        "vhost": VHOST,
        "type": dict(type="str", choices=QUEUE_TYPES, description=[
            "Queue type (C(x-queue-type)). Omitted, the virtual host's default queue type (classic unless set"
            " otherwise)."]),
        "durable": dict(type="bool", default=True, description="Survives a broker restart (quorum queues and"
                                                               " streams always do)."),
        "auto_delete": dict(type="bool", default=False, description="Deleted when its last consumer unsubscribes."),
        "arguments": dict(type="dict", default={}, description=[
            "Optional arguments, for example C(x-max-length). The ones RabbitMQ knows are checked before any"
            " change: their type and value (C(x-max-length) a whole number, C(x-overflow) one of its modes,"
            " C(x-max-age) like C(7D)...) and whether the queue type takes them.",
            "C(x-quorum-initial-group-size) must be a whole number from 1 to the number of cluster nodes (read"
            " with C(GET /api/nodes) when it is above 1)."]),
        "state": state("V(absent) deletes the queue and its messages."),
    }
    section = "queues"
    apply_rank = 9
    delete_rank = 2
    weight = 2

    def value(self, entry):
        arguments = dict(entry.get("arguments") or {})
        from_arguments = arguments.pop("x-queue-type", None)
        return {
            "type": entry.get("type") or from_arguments,  # None: the vhost's default queue type
            "durable": bool(self.get(entry, "durable")),
            "auto_delete": bool(self.get(entry, "auto_delete")),
            "arguments": arguments,
        }

    def check(self, decl, entry, errors):
        qtype = entry.get("type")
        from_arguments = (entry.get("arguments") or {}).get("x-queue-type")
        if qtype is not None and from_arguments is not None and qtype != from_arguments:
            errors.append("%s.type: %r contradicts arguments x-queue-type %r" % (decl.label, qtype, from_arguments))
        if decl.present:
            value = decl.value
            if qtype is None and value["type"] is not None and value["type"] not in QUEUE_TYPES:
                errors.append("%s.arguments.x-queue-type: %r is not one of %s"
                              % (decl.label, value["type"], ", ".join(QUEUE_TYPES)))
            if value["type"] in ("quorum", "stream"):
                if not value["durable"]:
                    errors.append("%s.durable: %s queues are always durable" % (decl.label, value["type"]))
                if value["auto_delete"]:
                    errors.append("%s.auto_delete: %s queues cannot be auto-delete" % (decl.label, value["type"]))
        if decl.key[1].startswith(exchanges.RESERVED_PREFIX):
            errors.append("%s.name: the amq. prefix is reserved for the broker" % decl.label)

    def group_sizes(self, entry):
        arguments = entry.get("arguments")
        if not isinstance(arguments, dict):
            return []
        return [arguments[name] for name in GROUP_SIZE_ARGUMENTS if name in arguments]

    def validate(self, decl, ctx, errors):
        if not decl.present:
            return
        arguments = decl.value["arguments"]
        for name in GROUP_SIZE_ARGUMENTS:
            if name in arguments:
                error = group_size_error("%s.arguments.%s" % (decl.label, name), arguments[name],
                                         ctx.option("cluster_nodes"))
                if error:
                    errors.append(error)
        errors.extend(argument_errors(decl.label, arguments, self.want(decl, ctx)["type"], ctx.version))

    def validate_state(self, decl, have, ctx, errors):
        if ctx.option("recreate_queues") or not decl.present or have is None:
            return
        want = self.want(decl, ctx)
        if have != want:
            errors.append("%s: cannot change %s: RabbitMQ cannot change a queue's type, durability or arguments"
                          " in place (use a policy for the mutable ones); set recreate_queues to delete and"
                          " re-create it while it is empty" % (decl.label, differences(have, want)))

    def want(self, decl, ctx):
        """The declared value, with the type the virtual host gives a queue declared without one."""
        want = copy.deepcopy(decl.value)
        if want["type"] is None:
            want["type"] = self.vhost_default_type(decl.key[0], ctx)
        return want

    def vhost_default_type(self, vhost, ctx):
        decl = ctx.declared[vhosts.KIND.name].get((vhost,))
        if decl is not None and decl.present and decl.value["default_queue_type"]:
            return decl.value["default_queue_type"]
        have = ctx.current[vhosts.KIND.name].get((vhost,))
        if have is not None and have.get("default_queue_type"):
            return have["default_queue_type"]
        return "classic"

    def read(self, export, details):
        result = {}
        for entry in export.get("queues") or []:
            arguments = dict(entry.get("arguments") or {})
            result[(entry["vhost"], entry["name"])] = {
                "type": arguments.pop("x-queue-type", None) or "classic",
                "durable": bool(entry.get("durable", True)),
                "auto_delete": bool(entry.get("auto_delete", False)),
                "arguments": arguments,
            }
        return result

    def weight_of(self, entry):
        # A quorum queue or stream starts a Raft cluster.
        return 5 if entry["arguments"].get("x-queue-type") in ("quorum", "stream") else 1

    def protected(self, key, ctx):
        return exchanges.reserved(key[1])

    def import_entry(self, key, value):
        return {
            "name": key[1],
            "vhost": key[0],
            "durable": value["durable"],
            "auto_delete": value["auto_delete"],
            "arguments": dict(value["arguments"], **{"x-queue-type": value["type"]}),
        }

    def delete_path(self, key):
        return api_path("queues", key[0], key[1])

    def plan(self, ctx):
        for key, decl, have in ctx.pairs(self):
            if decl is None or not decl.present:
                ctx.plan.record(self, key, "delete", before=copy.deepcopy(have))
                ctx.plan.delete(self, "DELETE", self.delete_path(key), keys=[key])
                continue
            want = self.want(decl, ctx)
            if have == want:
                continue
            if have is None:
                ctx.plan.add_import(self, key, self.import_entry(key, want))
                ctx.plan.record(self, key, "create", after=want)
                continue
            # Differs and recreate_queues is set (validate_state()). Deleted
            # only if empty, then imported again with its bindings. The broker
            # checks a classic queue atomically (if-empty); it refuses
            # if-empty for quorum queues and streams, whose message count
            # applying.py reads just before deleting.
            if have["type"] == "classic":
                ctx.plan.pre(self, "DELETE", api_path("queues", key[0], key[1], **{"if-empty": "true"}), keys=[key])
            else:
                ctx.plan.pre(self, "DELETE_IF_EMPTY", key, keys=[key])
            ctx.plan.add_import(self, key, self.import_entry(key, want))
            ctx.recreated.add((self.name, key))
            ctx.plan.record(self, key, "recreate", before=copy.deepcopy(have), after=want)


KIND = Queues()
