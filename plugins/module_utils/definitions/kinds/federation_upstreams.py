# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Federation upstreams (runtime parameters of component federation-upstream)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import (
    NAME,
    VHOST,
    ParameterKind,
    state,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.uris import one_or_list, uri_errors
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.values import integer, rule_errors

ACK_MODE = dict(type="str", choices=["on-confirm", "on-publish", "no-ack"], default="on-confirm")


class FederationUpstreams(ParameterKind):
    name = "federation_upstreams"
    description = ["Federation upstreams (runtime parameters of component C(federation-upstream))."]
    purge_description = "Purge federation upstreams."
    options = {
        "name": NAME,
        "vhost": VHOST,
        "uri": dict(type="list", elements="str", no_log=True, description=[
            "AMQP URI(s) of the upstream, for example C(amqp://user:password@upstream-host/vhost). Several URIs"
            " are tried in turn. Credentials are masked in diffs."]),
        "exchange": dict(type="str", description="Upstream exchange name (default the federated exchange's own"
                                                 " name)."),
        "queue": dict(type="str", description="Upstream queue name (default the federated queue's own name)."),
        "prefetch_count": dict(type="int", description="Maximum unacknowledged messages per link."),
        "reconnect_delay": dict(type="int", description="Seconds to wait before reconnecting."),
        "ack_mode": dict(ACK_MODE, description="When messages are acknowledged upstream."),
        "trust_user_id": dict(type="bool", description="Pass C(user-id) through from the upstream."),
        "max_hops": dict(type="int", description="Maximum number of federation links a message may traverse"
                                                 " (exchanges)."),
        "expires": dict(type="int", description="Milliseconds after which the upstream queue is deleted when"
                                                " disconnected."),
        "message_ttl": dict(type="int", description="Message TTL of the upstream queue, in milliseconds."),
        "extra": dict(type="dict", description="Further upstream keys, as RabbitMQ names them (for example"
                                               " C(queue-type))."),
        "state": state("Whether the upstream should exist."),
    }
    fields = ("exchange", "queue", "prefetch_count", "reconnect_delay", "ack_mode", "trust_user_id", "max_hops",
              "expires", "message_ttl")
    component = "federation-upstream"
    uri_fields = ("uri",)
    apply_rank = 11
    delete_rank = 5

    def value(self, entry):
        value = {"uri": one_or_list(entry.get("uri"))}
        for field in self.fields:  # as given: no defaults beyond the argument spec's
            if entry.get(field) is not None:
                value[field.replace("_", "-")] = entry[field]
        value.update(entry.get("extra") or {})
        return value

    # Options the argument spec types as int: the broker wants them not negative.
    value_rules = dict((field, integer(0)) for field in ("prefetch_count", "reconnect_delay", "max_hops", "expires",
                                                         "message_ttl"))

    def check(self, decl, entry, errors):
        if not decl.present:
            return
        if not decl.value["uri"]:
            errors.append("%s.uri: required when state is present" % decl.label)
        errors.extend(uri_errors(decl.label + ".uri", entry.get("uri")))
        errors.extend(rule_errors(decl.label, dict((k, v) for k, v in entry.items() if v is not None),
                                  self.value_rules))


KIND = FederationUpstreams()
