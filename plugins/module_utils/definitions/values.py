# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Checks of single values that several kinds share (pure functions).

Each check returns None when the value is fine, else the reason, worded to
follow ``<object>.<field>: `` and to say what is allowed. ``rule_errors()``
applies a table of such checks (queue arguments, policy keys) to a dict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# rabbit_misc:check_expiry/1: TTLs and expiries at most 10 years, in ms.
MAX_EXPIRY_MS = 315360000000
_DURATION = re.compile(r"^([0-9]+)([YMDhms])$")


_REGEX_ERRORS = {}


def regex_error(pattern):
    """None when ``pattern`` compiles, else the reason.

    RabbitMQ uses Erlang's PCRE; Python's ``re`` accepts the same common
    syntax (anchors, classes, groups, alternation, quantifiers, (?i)).
    Thousands of permissions share a few patterns: each is compiled once.
    """
    if not isinstance(pattern, str):
        return "not a string"
    if pattern not in _REGEX_ERRORS:
        try:
            re.compile(pattern)
            _REGEX_ERRORS[pattern] = None
        except re.error as exc:
            _REGEX_ERRORS[pattern] = str(exc)
    return _REGEX_ERRORS[pattern]


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_group_size(value):
    return is_int(value) and value >= 1


def group_size_error(where, value, cluster_nodes=None):
    """None when ``value`` is a quorum group size the cluster can satisfy, else why not.

    ``where`` names the field, for example
    ``queues[vhost=/, name=q1].arguments.x-quorum-initial-group-size``.
    ``cluster_nodes`` is the number of cluster nodes; None checks only that
    ``value`` is a whole number, 1 or more (no broker needed).
    """
    if not is_group_size(value):
        return "%s: %r is not a group size; allowed: a whole number, 1 or more (at most the number of cluster" \
               " nodes)" % (where, value)
    if cluster_nodes is not None and value > cluster_nodes:
        return "%s: %d is larger than the cluster (%d %s); allowed: %s" % (
            where,
            value,
            cluster_nodes,
            "node" if cluster_nodes == 1 else "nodes",
            "1" if cluster_nodes == 1 else "1 to %d" % cluster_nodes,
        )
    return None


def limit_error(value):
    """A vhost or user limit: a whole number, 0 or more, or -1 for no limit."""
    if not is_int(value) or value < -1:
        return "%r is not a limit (a whole number, 0 or more; -1 for no limit)" % (value,)
    return None


# -- value checks for rule tables: each returns None or the reason --


def integer(low=None, high=None, what="a whole number"):
    def check(value):
        if is_int(value) and (low is None or value >= low) and (high is None or value <= high):
            return None
        if low is not None and high is not None:
            allowed = "%s from %d to %d" % (what, low, high)
        elif low is not None:
            allowed = "%s, %d or more" % (what, low)
        else:
            allowed = what
        return "%r is not allowed; allowed: %s" % (value, allowed)

    return check


def text(value):
    if isinstance(value, str):
        return None
    return "%r is not allowed; allowed: a string" % (value,)


def boolean(value):
    if isinstance(value, bool):
        return None
    return "%r is not allowed; allowed: true or false (a boolean, not a string)" % (value,)


def one_of(*choices):
    def check(value):
        if value in choices and not isinstance(value, bool):
            return None
        return "%r is not allowed; allowed: %s" % (value, ", ".join(str(c) for c in choices))

    return check


def duration(value):
    """A stream max-age: a positive whole number and a unit, for example ``7D``."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match and int(match.group(1)) > 0:
        return None
    return "%r is not allowed; allowed: a whole number above 0 and a unit Y, M, D, h, m or s (for example 7D)" % (
        value,)


def pattern(value):
    reason = text(value)
    if reason is None and regex_error(value):
        return "%r is not a valid regular expression: %s" % (value, regex_error(value))
    return reason


def rule_errors(where, values, rules):
    """One message per entry of ``values`` whose rule (a check above) refuses it.

    ``rules`` maps names to checks; names without a rule are not checked.
    """
    errors = []
    for name in sorted(values):
        check = rules.get(name)
        if check is None:
            continue
        reason = check(values[name])
        if reason:
            errors.append("%s.%s: %s" % (where, name, reason))
    return errors
