# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Queue arguments (x-*): what each value must be, and which queue types take it (pure).

Read from rabbit_amqqueue:declare_args/0 and the queue types' capabilities/0
of RabbitMQ 3.10.8 and 4.0.5, and tried on 4.3.6: the broker refuses a declared queue whose
argument has the wrong type or value, or belongs to another queue type
("invalid arg 'x-max-priority' for queue 'q' of queue type rabbit_quorum_queue").
Arguments not listed here are passed on unchecked (plugins add their own).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.values import (
    MAX_EXPIRY_MS,
    boolean,
    duration,
    integer,
    is_int,
    one_of,
    text,
)

CLASSIC, QUORUM, STREAM = "classic", "quorum", "stream"
LEADER_LOCATORS = ("client-local", "balanced", "random", "least-leaders")
GROUP_SIZE_ARGUMENTS = ("x-quorum-initial-group-size", "x-initial-cluster-size")

# name: (check, queue types that take it)
ARGUMENTS = {
    "x-expires": (integer(1, MAX_EXPIRY_MS, "milliseconds"), (CLASSIC, QUORUM)),
    "x-message-ttl": (integer(0, MAX_EXPIRY_MS, "milliseconds"), (CLASSIC, QUORUM)),
    "x-dead-letter-exchange": (text, (CLASSIC, QUORUM)),
    "x-dead-letter-routing-key": (text, (CLASSIC, QUORUM)),
    "x-dead-letter-strategy": (one_of("at-most-once", "at-least-once"), (QUORUM,)),
    "x-max-length": (integer(0), (CLASSIC, QUORUM)),
    "x-max-length-bytes": (integer(0), (CLASSIC, QUORUM, STREAM)),
    "x-max-in-memory-length": (integer(0), (QUORUM,)),
    "x-max-in-memory-bytes": (integer(0), (QUORUM,)),
    "x-max-priority": (integer(0, 255), (CLASSIC,)),
    "x-overflow": (one_of("drop-head", "reject-publish", "reject-publish-dlx"), (CLASSIC, QUORUM)),
    "x-queue-mode": (one_of("default", "lazy"), (CLASSIC,)),
    "x-queue-version": (one_of(1, 2), (CLASSIC,)),
    "x-queue-master-locator": (one_of("min-masters", "client-local", "random"), (CLASSIC,)),
    "x-single-active-consumer": (boolean, (CLASSIC, QUORUM)),
    "x-quorum-initial-group-size": (None, (QUORUM,)),  # values.group_size_error()
    "x-delivery-limit": (integer(0), (QUORUM,)),
    "x-queue-leader-locator": (one_of(*LEADER_LOCATORS), (QUORUM, STREAM)),
    "x-max-age": (duration, (STREAM,)),
    "x-stream-max-segment-size-bytes": (integer(0, 3000000000), (STREAM,)),
    "x-stream-filter-size-bytes": (integer(16, 255), (STREAM,)),
    "x-initial-cluster-size": (None, (STREAM,)),  # values.group_size_error()
}
# RabbitMQ 4.0: a negative delivery limit means no limit; classic queues
# take a leader locator (with the rabbitmq_4.0.0 feature flag).
SINCE_4_0 = {
    "x-delivery-limit": (integer(-1, None), (QUORUM,)),
    "x-queue-leader-locator": (one_of(*(LEADER_LOCATORS + ("min-masters",))), (CLASSIC, QUORUM, STREAM)),
}


# RabbitMQ 4.3 (rabbit_policies of 4.3.6): quorum queue delayed retries and
# the disconnected-consumer timeout, as policy keys; the queue arguments are
# the same names with "x-" in front (the broker does not check those at
# declaration, so the policy rules apply). Classic queue storage v1 is gone.
DELAYED_RETRY_TYPES = ("all", "failed", "returned", "disabled")
RULES_4_3 = {
    "consumer-disconnected-timeout": integer(0, None, "milliseconds"),
    "delayed-retry-type": one_of(*DELAYED_RETRY_TYPES),
    "delayed-retry-min": integer(1, None, "milliseconds"),
    "delayed-retry-max": integer(1, None, "milliseconds"),
}
SINCE_4_3 = dict(("x-" + key, (rule, (QUORUM,))) for key, rule in RULES_4_3.items())
SINCE_4_3["x-queue-version"] = (one_of(2), (CLASSIC,))
# Refused since 4.3 although still known: a deprecated feature that is no
# longer permitted by default.
MASTER_LOCATOR_DENIED = "the deprecated feature queue_master_locator is not permitted by default since RabbitMQ 4.3"
DENIED_SINCE_4_3 = {"x-queue-master-locator": MASTER_LOCATOR_DENIED + " (use x-queue-leader-locator)"}


def delayed_retry_errors(where, values, prefix=""):
    """Delayed retry settings depend on each other (RabbitMQ 4.3's policy
    validation); ``prefix`` is "x-" for queue arguments."""
    errors = []
    kind = values.get(prefix + "delayed-retry-type")
    low, high = values.get(prefix + "delayed-retry-min"), values.get(prefix + "delayed-retry-max")
    if kind in DELAYED_RETRY_TYPES and kind != "disabled" and low is None:
        errors.append("%s.%sdelayed-retry-min: required when %sdelayed-retry-type is %s"
                      % (where, prefix, prefix, kind))
    if is_int(low) and is_int(high) and high < low:
        errors.append("%s.%sdelayed-retry-max: %r is smaller than %sdelayed-retry-min (%r); allowed: %r or more"
                      % (where, prefix, high, prefix, low, low))
    return errors


def arguments_for(version):
    rules = dict(ARGUMENTS)
    if version is None or version >= (4, 0):
        rules.update(SINCE_4_0)
    if version is not None and version >= (4, 3):
        rules.update(SINCE_4_3)
    return rules


def argument_errors(where, arguments, queue_type, version):
    """One message per argument of ``arguments`` that a ``queue_type`` queue on ``version`` refuses.

    ``where`` names the queue, for example ``queues[vhost=/, name=q]``.
    """
    errors = []
    rules = arguments_for(version)
    on_4_3 = version is not None and version >= (4, 3)
    denied = DENIED_SINCE_4_3 if on_4_3 else {}
    for name in sorted(arguments):
        if name in denied:
            errors.append("%s.arguments.%s: refused on RabbitMQ 4.3 and later: %s" % (where, name, denied[name]))
            continue
        if name not in rules:
            continue
        check, types = rules[name]
        if queue_type not in types:
            errors.append("%s.arguments.%s: not an argument of %s queues (the broker refuses it); allowed for: %s"
                          % (where, name, queue_type, ", ".join(types)))
            continue
        reason = check(arguments[name]) if check is not None else None
        if reason:
            errors.append("%s.arguments.%s: %s" % (where, name, reason))
    if on_4_3:
        errors.extend(delayed_retry_errors(where + ".arguments", arguments, "x-"))
    if "x-dead-letter-routing-key" in arguments and "x-dead-letter-exchange" not in arguments:
        errors.append("%s.arguments.x-dead-letter-routing-key: needs x-dead-letter-exchange (the broker refuses a"
                      " dead-letter routing key without it)" % where)
    return errors
