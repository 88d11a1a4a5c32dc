# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Checks of single values that several kinds share (pure functions).

Each returns None when the value is fine, else the reason, worded to
follow ``<object>.<field>: `` and to say what is allowed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


def regex_error(pattern):
    """None when ``pattern`` compiles, else the reason.

    RabbitMQ uses Erlang's PCRE; Python's ``re`` accepts the same common
    syntax (anchors, classes, groups, alternation, quantifiers, (?i)).
    """
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    except TypeError:
        return "not a string"
    return None


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
