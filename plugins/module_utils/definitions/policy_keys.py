# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Which policy and operator policy keys each RabbitMQ version knows (pure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Policy keys by RabbitMQ version. The 3.10.8 and 4.0.5 sets were read from
# the brokers' registries (rabbit_registry:lookup_all(policy_validator), with
# the shovel and federation plugins enabled); in between, the release notes.
POLICY_KEYS = frozenset(
    (
        "alternate-exchange",
        "dead-letter-exchange",
        "dead-letter-routing-key",
        "dead-letter-strategy",
        "delivery-limit",
        "expires",
        "federation-upstream",
        "federation-upstream-pattern",
        "federation-upstream-set",
        "initial-cluster-size",
        "max-age",
        "max-in-memory-bytes",
        "max-in-memory-length",
        "max-length",
        "max-length-bytes",
        "message-ttl",
        "overflow",
        "queue-leader-locator",
        "queue-master-locator",
        "queue-mode",
        "queue-version",
        "stream-max-segment-size-bytes",
    )
)
# Classic queue mirroring: gone in RabbitMQ 4.0.
HA_POLICY_KEYS = frozenset(
    (
        "ha-mode",
        "ha-params",
        "ha-promote-on-failure",
        "ha-promote-on-shutdown",
        "ha-sync-batch-size",
        "ha-sync-mode",
    )
)
POLICY_KEYS_SINCE = (
    ((3, 12), frozenset(("consumer-timeout",))),
    ((3, 13), frozenset(("stream-filter-size-bytes", "target-group-size"))),
)
OPERATOR_POLICY_KEYS = frozenset(
    (
        "delivery-limit",
        "expires",
        "max-in-memory-bytes",
        "max-in-memory-length",
        "max-length",
        "max-length-bytes",
        "message-ttl",
    )
)
OPERATOR_POLICY_KEYS_SINCE = (
    ((3, 12), frozenset(("overflow", "queue-master-locator", "queue-version"))),
    ((3, 13), frozenset(("target-group-size",))),
)
APPLY_TO = ("all", "exchanges", "queues")
APPLY_TO_SINCE_3_12 = ("classic_queues", "quorum_queues", "streams")
MIRRORING_REMOVED_IN = (4, 0)
# Where a quorum queue's initial number of members is declared by policy.
POLICY_GROUP_SIZE_KEY = "initial-cluster-size"


def allowed_policy_keys(version, operator=False, extra=()):
    """Definition keys a (operator) policy may use on ``version``."""
    if operator:
        keys = set(OPERATOR_POLICY_KEYS)
        since = OPERATOR_POLICY_KEYS_SINCE
    else:
        keys = set(POLICY_KEYS)
        since = POLICY_KEYS_SINCE
        if version is None or version < MIRRORING_REMOVED_IN:
            keys |= HA_POLICY_KEYS
    for first, added in since:
        if version is None or version >= first:
            keys |= added
    keys |= set(extra or ())
    return keys


def allowed_apply_to(version):
    values = list(APPLY_TO)
    if version is None or version >= (3, 12):
        values += list(APPLY_TO_SINCE_3_12)
    return values
