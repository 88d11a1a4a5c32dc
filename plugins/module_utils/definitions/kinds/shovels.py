# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Dynamic shovels between AMQP 0-9-1 brokers (runtime parameters of component shovel)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import (
    NAME,
    VHOST,
    ParameterKind,
    state,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.federation_upstreams import ACK_MODE
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.uris import one_or_list, uri_errors
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.values import integer, rule_errors


class Shovels(ParameterKind):
    name = "shovels"
    description = ["Dynamic shovels between AMQP 0-9-1 brokers (component C(shovel))."]
    purge_description = "Purge dynamic shovels."
    options = {
        "name": NAME,
        "vhost": VHOST,
        "src_uri": dict(type="list", elements="str", no_log=True,
                        description="Source AMQP URI(s); C(amqp://) is the local node's default virtual host."),
        "src_queue": dict(type="str", description="Source queue (exactly one of O(shovels[].src_queue) and"
                                                  " O(shovels[].src_exchange))."),
        "src_exchange": dict(type="str", description="Source exchange; the shovel binds its own queue to it."),
        "src_exchange_key": dict(type="str", no_log=False, description="Routing key of that binding."),
        "src_prefetch_count": dict(type="int", description="Maximum unacknowledged messages."),
        "src_delete_after": dict(type="raw", description=[
            "V(never), V(queue-length) (stop after moving the messages present at start) or a number of"
            " messages."]),
        "dest_uri": dict(type="list", elements="str", no_log=True, description="Destination AMQP URI(s)."),
        "dest_queue": dict(type="str", description="Destination queue (one of O(shovels[].dest_queue) and"
                                                   " O(shovels[].dest_exchange) is required)."),
        "dest_exchange": dict(type="str", description="Destination exchange."),
        "dest_exchange_key": dict(type="str", no_log=False,
                                  description="Routing key used with O(shovels[].dest_exchange)."),
        "dest_add_forward_headers": dict(type="bool", description="Add C(x-shovelled) headers."),
        "dest_add_timestamp_header": dict(type="bool", description="Add an C(x-shovelled-timestamp) header."),
        "ack_mode": dict(ACK_MODE, description="When messages are acknowledged at the source."),
        "reconnect_delay": dict(type="int", description="Seconds to wait before reconnecting."),
        "extra": dict(type="dict", description="Further shovel keys, as RabbitMQ names them."),
        "state": state("Whether the shovel should exist."),
    }
    fields = ("src_uri", "src_queue", "src_exchange", "src_exchange_key", "src_prefetch_count", "src_delete_after",
              "dest_uri", "dest_queue", "dest_exchange", "dest_exchange_key", "dest_add_forward_headers",
              "dest_add_timestamp_header", "ack_mode", "reconnect_delay")
    component = "shovel"
    uri_fields = ("src-uri", "dest-uri")
    apply_rank = 13
    delete_rank = 1

    def value(self, entry):
        value = {"src-protocol": "amqp091", "dest-protocol": "amqp091"}
        for field in self.fields:  # as given: no defaults beyond the argument spec's
            if entry.get(field) is not None:
                value[field.replace("_", "-")] = entry[field]
        for field in self.uri_fields:
            if field in value:
                value[field] = one_or_list(value[field])
        value.update(entry.get("extra") or {})
        return value

    value_rules = {"src_prefetch_count": integer(0), "reconnect_delay": integer(0)}

    def check(self, decl, entry, errors):
        if not decl.present:
            return
        value = decl.value
        errors.extend(uri_errors(decl.label + ".src_uri", entry.get("src_uri")))
        errors.extend(uri_errors(decl.label + ".dest_uri", entry.get("dest_uri")))
        errors.extend(rule_errors(decl.label, dict((k, v) for k, v in entry.items() if v is not None),
                                  self.value_rules))
        if not value.get("src-uri"):
            errors.append("%s.src_uri: required when state is present" % decl.label)
        if ("src-queue" in value) == ("src-exchange" in value):
            errors.append("%s.src_queue: give exactly one of src_queue and src_exchange" % decl.label)
        if "src-exchange-key" in value and "src-exchange" not in value:
            errors.append("%s.src_exchange_key: only meaningful with src_exchange" % decl.label)
        if not value.get("dest-uri"):
            errors.append("%s.dest_uri: a shovel needs a destination URI" % decl.label)
        if "dest-queue" not in value and "dest-exchange" not in value:
            errors.append("%s.dest_queue: a shovel needs a destination: dest_queue or dest_exchange" % decl.label)
        if "dest-queue" in value and "dest-exchange" in value:
            errors.append("%s.dest_queue: give only one of dest_queue and dest_exchange" % decl.label)
        delete_after = value.get("src-delete-after")
        if delete_after is not None:
            if isinstance(delete_after, str) and delete_after.isdigit():
                value["src-delete-after"] = delete_after = int(delete_after)
            valid = delete_after in ("never", "queue-length") or (
                isinstance(delete_after, int) and not isinstance(delete_after, bool) and delete_after >= 0
            )
            if not valid:
                errors.append("%s.src_delete_after: %r is not never, queue-length or a number of messages"
                              % (decl.label, delete_after))


KIND = Shovels()
