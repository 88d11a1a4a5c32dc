# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Which policy and operator policy keys each RabbitMQ version knows, and what each value must be (pure)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.queue_arguments import (
    LEADER_LOCATORS,
    MASTER_LOCATOR_DENIED,
    RULES_4_3,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.values import (
    duration,
    integer,
    one_of,
    pattern,
    text,
)

# Policy keys by RabbitMQ version. The 3.10.8, 4.0.5 and 4.3.6 sets were read
# from the brokers' registries (rabbit_registry:lookup_all(policy_validator),
# with the shovel and federation plugins enabled); in between, the release
# notes (the 4.3 keys are dated 4.3: 4.1 and 4.2 were not read).
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
    ((4, 3), frozenset(("consumer-disconnected-timeout", "delayed-retry-type", "delayed-retry-min",
                        "delayed-retry-max"))),
)
# Still registered on 4.3 but refused: the deprecated feature
# queue_master_locator is no longer permitted by default (a node that
# permits it, deprecated_features.permit.queue_master_locator = true, takes
# it again through extra_policy_keys).
POLICY_KEYS_DENIED_SINCE = (((4, 3), frozenset(("queue-master-locator",))),)
DENIED_REASON = {"queue-master-locator": MASTER_LOCATOR_DENIED + " (use queue-leader-locator)"}
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
    ((4, 3), frozenset(("delayed-retry-type", "delayed-retry-min", "delayed-retry-max"))),
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
    keys -= denied_policy_keys(version)
    keys |= set(extra or ())
    return keys


def denied_policy_keys(version):
    """Keys the broker still knows on ``version`` but refuses by default."""
    denied = set()
    for first, keys in POLICY_KEYS_DENIED_SINCE:
        if version is not None and version >= first:
            denied |= keys
    return denied


def allowed_apply_to(version):
    values = list(APPLY_TO)
    if version is None or version >= (3, 12):
        values += list(APPLY_TO_SINCE_3_12)
    return values


# What each value must be: rabbit_policies:validate_policy0/2 and the other
# policy validators of RabbitMQ 3.10.8 and 4.0.5 (mirroring, federation,
# quorum queues). initial-cluster-size is checked against the cluster
# (values.group_size_error()); keys without a rule (extra_policy_keys) are
# passed on unchecked.
VALUE_RULES = {
    "alternate-exchange": text,
    "consumer-timeout": integer(0, None, "milliseconds"),
    "dead-letter-exchange": text,
    "dead-letter-routing-key": text,
    "dead-letter-strategy": one_of("at-most-once", "at-least-once"),
    "delivery-limit": integer(0),
    "expires": integer(1, None, "milliseconds"),
    "federation-upstream": text,
    "federation-upstream-pattern": pattern,
    "federation-upstream-set": text,
    "ha-mode": one_of("all", "exactly", "nodes"),
    "ha-promote-on-failure": one_of("always", "when-synced"),
    "ha-promote-on-shutdown": one_of("always", "when-synced"),
    "ha-sync-batch-size": integer(1),
    "ha-sync-mode": one_of("manual", "automatic"),
    "max-age": duration,
    "max-in-memory-bytes": integer(0),
    "max-in-memory-length": integer(0),
    "max-length": integer(0),
    "max-length-bytes": integer(0),
    "message-ttl": integer(0, None, "milliseconds"),
    "overflow": one_of("drop-head", "reject-publish", "reject-publish-dlx"),
    "queue-leader-locator": one_of(*LEADER_LOCATORS),
    "queue-master-locator": one_of("min-masters", "client-local", "random"),
    "queue-mode": one_of("default", "lazy"),
    "queue-version": one_of(1, 2),
    "stream-filter-size-bytes": integer(16, 255),
    "stream-max-segment-size-bytes": integer(0, 3000000000),
    "target-group-size": integer(1),
}
# RabbitMQ 4.0: any whole number is a delivery limit (negative: no limit).
VALUE_RULES_SINCE_4_0 = {"delivery-limit": integer(None, None)}
# RabbitMQ 4.3: delayed retries and the disconnected-consumer timeout
# (queue_arguments.RULES_4_3); classic queue storage v1 is gone.
VALUE_RULES.update(RULES_4_3)
VALUE_RULES_SINCE_4_3 = {"queue-version": one_of(2)}


def value_rules(version):
    rules = dict(VALUE_RULES)
    if version is None or version >= (4, 0):
        rules.update(VALUE_RULES_SINCE_4_0)
    if version is not None and version >= (4, 3):
        rules.update(VALUE_RULES_SINCE_4_3)
    return rules


def ha_errors(where, definition):
    """Classic mirroring keys depend on each other (rabbit_mirror_queue_misc:validate_policy/1)."""
    mode = definition.get("ha-mode")
    others = sorted(k for k in definition if k.startswith("ha-") and k != "ha-mode")
    if mode is None:
        if others:
            return ["%s.%s: needs ha-mode (the broker refuses ha-* keys without it)" % (where, others[0])]
        return []
    params = definition.get("ha-params")
    if mode == "all" and "ha-params" in definition:
        return ["%s.ha-params: not allowed with ha-mode all" % where]
    if mode == "exactly" and not (integer(1)(params) is None):
        return ["%s.ha-params: %r is not allowed; allowed with ha-mode exactly: a whole number, 1 or more"
                % (where, params)]
    if mode == "nodes" and not (isinstance(params, list) and params and all(isinstance(n, str) for n in params)):
        return ["%s.ha-params: %r is not allowed; allowed with ha-mode nodes: a list of node names" % (where, params)]
    return []
