# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""versions: dpkg ordering, RabbitMQ's upgrade table and Erlang ranges, pair by pair."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools

import pytest

from ansible_collections.mqops.rabbitmq.plugins.module_utils import versions as v

U1 = "1:25.2.3+dfsg-1+deb12u1"
U4 = "1:25.2.3+dfsg-1+deb12u4"


@pytest.mark.parametrize("a, b, sign", [
    (U1, U4, -1),
    (U4, U1, 1),
    (U1, U1, 0),
    ("1:25.2.3+dfsg-1", "25.9", 1),            # the epoch wins
    ("3.10.8-1.1+deb12u1", "3.10.8-1.1", 1),
    ("3.10.8-1.1+deb12u1", "3.10.8-1.1+deb12u2", -1),
    ("4.0.5-1", "4.0.5-6+deb13u2", -1),
    ("4.1.0~beta.1-1", "4.1.0-1", -1),         # ~ sorts before anything
    ("3.10.10-1", "3.10.9-1", 1),              # numeric, not lexical
    ("1:26.2.5.13-1", U4, 1),
    ("1.0", "1.0-0", 0),
    ("2.0a", "2.0", 1),
    ("2.0+x", "2.0a", 1),                      # non-letters sort after letters
])
def test_debian_compare(a, b, sign):
    result = v.debian_compare(a, b)
    assert (result > 0) - (result < 0) == sign


@pytest.mark.parametrize("text, expected", [
    (U1, (25, 2, 3)),
    ("3.10.8-1.1+deb12u1", (3, 10, 8)),
    ("4.0.5*", (4, 0, 5)),
    ("4.0*", (4, 0)),
    ("1:26.2.5.13-1", (26, 2, 5, 13)),
    ("4.3.6-1", (4, 3, 6)),
    ("*", ()),
    ("", ()),
])
def test_upstream(text, expected):
    assert v.upstream(text) == expected


# --- RabbitMQ: every pair of series the tables know -----------------------------

ALLOWED_SERIES = {
    ((3, 7), (3, 8)), ((3, 8), (3, 9)), ((3, 9), (3, 10)), ((3, 10), (3, 11)), ((3, 11), (3, 12)),
    ((3, 12), (3, 13)), ((3, 13), (4, 0)), ((3, 13), (4, 1)), ((3, 13), (4, 2)), ((4, 0), (4, 1)),
    ((4, 0), (4, 2)), ((4, 1), (4, 2)), ((4, 2), (4, 3)),
}


@pytest.mark.parametrize("source, dest", list(itertools.product(v.KNOWN_SERIES, repeat=2)),
                         ids=lambda s: v.dotted(s))
def test_every_series_pair(source, dest):
    # From the newest patch release (minimum patch releases are tested below).
    installed, target = source + (99,), dest + (1,)
    kind, reason = v.rabbitmq_change(installed, target)
    if source == dest:
        assert kind == "refused" and "downgrade" in reason  # x.y.99 -> x.y.1
        assert v.rabbitmq_change(source + (1,), dest + (99,)) == ("patch", "")
    elif (source, dest) in ALLOWED_SERIES:
        assert kind == "series", (source, dest, reason)
    else:
        assert kind == "refused", (source, dest)
        assert ("downgrade" in reason) == (dest < source)


@pytest.mark.parametrize("installed, target, kind", [
    ((3, 10, 8), (3, 10, 8), "none"),
    ((3, 10, 8), (3, 10, 25), "patch"),
    ((3, 10, 8), (3, 11, 0), "series"),
    ((3, 10, 8), (3, 12, 0), "refused"),
    ((3, 10, 8), (4, 0, 5), "refused"),
    ((3, 10, 8), (4, 3, 6), "refused"),
    ((4, 0, 5), (4, 3, 6), "refused"),
    ((4, 0, 5), (4, 2, 3), "series"),
    ((4, 2, 3), (4, 3, 6), "series"),
    ((3, 11, 17), (3, 12, 0), "refused"),     # 3.12 only from 3.11.18
    ((3, 11, 18), (3, 12, 0), "series"),
    ((3, 7, 17), (3, 8, 0), "refused"),
    ((3, 7, 18), (3, 8, 0), "series"),
    ((4, 3, 6), (4, 4, 0), "refused"),        # a series the table does not know
    ((4, 3, 6), (4, 0, 5), "refused"),        # downgrade
    ((4, 3, 6), (4, 3, 5), "refused"),
    ((3, 10, 8), (4, 0), "refused"),          # a series-only pin ("4.0*")
    ((3, 10, 8), (3, 10), "refused"),         # "3.10*" below the installed patch: a downgrade
])
def test_rabbitmq_change(installed, target, kind):
    assert v.rabbitmq_change(installed, target)[0] == kind


def test_minimum_patch_is_named():
    assert v.rabbitmq_change((3, 11, 5), (3, 12, 1)) == ("refused", "3.11.x moves to 3.12.x only from 3.11.18")


@pytest.mark.parametrize("installed, target, path", [
    ((3, 10, 8), (4, 0), "3.10 -> 3.11 (3.11.18 or later) -> 3.12 -> 3.13 -> 4.0"),
    ((3, 10, 8), (4, 3), "3.10 -> 3.11 (3.11.18 or later) -> 3.12 -> 3.13 -> 4.2 -> 4.3"),
    ((3, 10, 8), (3, 12), "3.10 -> 3.11 (3.11.18 or later) -> 3.12"),
    ((4, 0, 5), (4, 3), "4.0 -> 4.2 -> 4.3"),
    # From 3.11.5 the first step is the patch release 3.11.18.
    ((3, 11, 5), (3, 13), "3.11 (3.11.18 or later) -> 3.12 -> 3.13"),
    ((3, 13, 7), (4, 3), "3.13 -> 4.2 -> 4.3"),
])
def test_upgrade_path(installed, target, path):
    assert v.describe_path(v.upgrade_path(installed, target)) == path


def test_no_path_backwards_or_to_unknown():
    assert v.upgrade_path((4, 3, 6), (4, 0)) is None
    assert v.upgrade_path((4, 3, 6), (5, 0)) is None


# --- Erlang ranges ---------------------------------------------------------------


@pytest.mark.parametrize("rabbitmq, otp, supported", [
    ((3, 10, 8), (25, 2, 3), True),       # Debian 12
    ((3, 10, 8), (25, 3), False),         # 3.10.8-3.10.13: up to 25.2.x
    ((3, 10, 8), (24, 1), False),
    ((3, 10, 8), (24, 2), True),
    ((3, 10, 20), (25, 3, 2), True),
    ((3, 10, 20), (24, 3, 4, 7), False),  # minimum 24.3.4.8
    ((3, 10, 20), (24, 3, 4, 8), True),
    ((3, 10, 2), (25, 0), False),         # 3.10.0-3.10.4: up to 24.3
    ((3, 11, 28), (26, 0), False),
    ((3, 12, 13), (26, 2, 5), True),
    ((3, 12, 3), (26, 1), False),
    ((3, 13, 7), (26, 2, 5, 13), True),
    ((3, 13, 7), (27, 0), False),
    ((4, 0, 3), (27, 0), False),          # 27 from 4.0.4
    ((4, 0, 5), (27, 3, 4), True),        # Debian 13
    ((4, 0, 5), (26, 1), False),
    ((4, 2, 8), (26, 2, 5), True),
    ((4, 2, 9), (26, 2, 5), False),       # 27.0 required from 4.2.9
    ((4, 3, 6), (27, 3), True),           # past the table: its last row
    ((4, 3, 6), (28, 0), False),
    ((4, 3, 6), (29, 1, 1), False),       # Debian 14's own build
])
def test_erlang_supported(rabbitmq, otp, supported):
    assert v.erlang_supported(rabbitmq, otp) is supported


def test_erlang_range_unknown_series():
    assert v.erlang_supported((4, 4, 0), (27, 0)) is None
    assert v.describe_range((4, 4, 0)) == "unknown"
    assert v.describe_range((3, 10, 8)) == "24.2 to 25.2.x"


@pytest.mark.parametrize("args, kind", [
    # Debian 12's two builds of Erlang 25.2.3 on RabbitMQ 3.10.8.
    (((3, 10, 8), (3, 10, 8), (25, 2, 3), (25, 2, 3), U1, U4), "allowed"),
    (((3, 10, 8), (3, 10, 8), (25, 2, 3), (25, 2, 3), U4, U1), "refused"),     # downgrade
    (((3, 10, 8), (3, 10, 8), (25, 2, 3), (25, 2, 3), U1, U1), "none"),
    (((3, 10, 8), (3, 10, 8), (25, 2, 3), (26, 2), U1, "1:26.2.5.13-1"), "refused"),
    # RabbitMQ moves, Erlang stays: the target must run on it.
    (((3, 10, 8), (3, 11, 0), (25, 2, 3), (25, 2, 3), U1, U1), "none"),
    (((4, 2, 8), (4, 2, 9), (26, 2, 5), (26, 2, 5), "1:26.2.5-1", "1:26.2.5-1"), "refused"),
    (((3, 13, 7), (4, 0, 5), (26, 2, 5), (27, 3), "1:26.2.5-1", "1:27.3-1"), "allowed"),
    (((3, 13, 7), (4, 0, 5), (26, 2, 5), (28, 0), "1:26.2.5-1", "1:28.0-1"), "refused"),
    # Debian 14 ships 4.3 on OTP 29 (outside RabbitMQ's table): within that
    # release and series the role keeps it, but does not move into it.
    (((4, 3, 6), (4, 3, 7), (29, 1, 1), (29, 1, 1), "1:29.1.1-1", "1:29.1.1-1"), "none"),
    (((4, 3, 6), (4, 3, 6), (29, 1, 1), (29, 1, 2), "1:29.1.1-1", "1:29.1.2-1"), "allowed"),
    (((4, 3, 6), (4, 3, 6), (27, 3), (29, 1), "1:27.3-1", "1:29.1-1"), "refused"),
])
def test_erlang_change(args, kind):
    assert v.erlang_change(*args)[0] == kind
