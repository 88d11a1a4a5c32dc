# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Which RabbitMQ and Erlang version changes a running cluster can take in place.

Pure functions and RabbitMQ's own tables, so every allowed and refused pair
is unit-tested without a broker:

- ``UPGRADE_EDGES``: the release series a rolling upgrade can go to, from the
  "RabbitMQ Version Upgradability" table of https://www.rabbitmq.com/docs/upgrade
  (and the 3.13 and 4.0 versions of that page, which add the minimum patch
  releases and the feature-flag notes);
- ``ERLANG_RANGES``: the minimum and maximum Erlang/OTP of each RabbitMQ
  release, from https://www.rabbitmq.com/docs/which-erlang (current and
  end-of-life tables).

Versions are Debian package versions ("1:25.2.3+dfsg-1+deb12u1",
"3.10.8-1.1+deb12u1", "4.0.5-1"); comparisons of whole package versions use
dpkg's algorithm, series and ranges use the upstream part.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections import deque

# (from series, lowest patch release of it that may move, to series).
UPGRADE_EDGES = (
    ((3, 7), 18, (3, 8)),
    ((3, 8), 0, (3, 9)),
    ((3, 9), 0, (3, 10)),
    ((3, 10), 0, (3, 11)),
    ((3, 11), 18, (3, 12)),
    ((3, 12), 0, (3, 13)),
    ((3, 13), 0, (4, 0)),
    ((3, 13), 0, (4, 1)),
    ((3, 13), 0, (4, 2)),
    ((4, 0), 0, (4, 1)),
    ((4, 0), 0, (4, 2)),
    ((4, 1), 0, (4, 2)),
    ((4, 2), 0, (4, 3)),
)

# (series, first patch release of the row, minimum Erlang/OTP, maximum).
# A maximum is a prefix: "25.2" allows every 25.2.x, "27" every 27.x. A row
# applies from its first patch release up to the next row of the series (the
# last row also to later patch releases the table does not list yet).
ERLANG_RANGES = (
    ((3, 8), 0, "21.3", "22"),
    ((3, 8), 4, "21.3", "23"),
    ((3, 8), 9, "22.3", "23"),
    ((3, 8), 16, "23.2", "24.2"),
    ((3, 8), 29, "23.2", "24.3"),
    ((3, 9), 0, "23.2", "24.2"),
    ((3, 9), 15, "23.3", "24.3"),
    ((3, 9), 22, "24.2", "24.3"),
    ((3, 9), 28, "24.3.4.2", "25.2"),
    ((3, 10), 0, "23.2", "24.3"),
    ((3, 10), 5, "23.2", "25.2"),
    ((3, 10), 8, "24.2", "25.2"),
    ((3, 10), 14, "24.3", "25.2"),
    ((3, 10), 19, "24.3.4.8", "25.3"),
    ((3, 11), 0, "25.0", "25.3"),
    ((3, 12), 0, "25.0", "26.0"),
    ((3, 12), 5, "25.0", "26.1"),
    ((3, 12), 10, "25.0", "26.2"),
    ((3, 13), 0, "26.0", "26.2"),
    ((4, 0), 0, "26.2", "26.2"),
    ((4, 0), 4, "26.2", "27"),
    ((4, 1), 0, "26.2", "27"),
    ((4, 2), 0, "26.2", "27"),
    ((4, 2), 9, "27.0", "27"),
    ((4, 3), 0, "26.2", "27"),
    ((4, 3), 3, "27.0", "27"),
)

KNOWN_SERIES = sorted({edge[0] for edge in UPGRADE_EDGES} | {edge[2] for edge in UPGRADE_EDGES})

_NUMBERS = re.compile(r"^[0-9]+(\.[0-9]+)*")


# --- Debian version comparison (dpkg's verrevcmp) ------------------------------


def _order(char):
    if char == "~":
        return -1
    if char.isdigit():
        return 0
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_part(a, b):
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def _split(version):
    epoch, sep, rest = version.partition(":")
    if not sep:
        epoch, rest = "0", version
    upstream, sep, revision = rest.rpartition("-")
    if not sep:
        upstream, revision = rest, ""
    return int(epoch or 0), upstream, revision


def debian_compare(a, b):
    """<0, 0 or >0 as Debian package version a sorts before, equal to or after b."""
    ea, ua, ra = _split(a)
    eb, ub, rb = _split(b)
    if ea != eb:
        return ea - eb
    return _compare_part(ua, ub) or _compare_part(ra, rb)


# --- upstream versions ----------------------------------------------------------


def upstream(version):
    """The upstream release of a package version or pin as a tuple of ints.

    "1:25.2.3+dfsg-1+deb12u1" -> (25, 2, 3); "3.10.8-1.1+deb12u1" -> (3, 10, 8);
    "4.0.5*" -> (4, 0, 5); "4.0*" -> (4, 0). Empty tuple when there is none.
    """
    text = (version or "").split(":", 1)[-1] if ":" in (version or "") else (version or "")
    match = _NUMBERS.match(text)
    return tuple(int(part) for part in match.group(0).split(".")) if match else ()


def dotted(numbers):
    return ".".join(str(n) for n in numbers)


def series(numbers):
    return tuple(numbers[:2])


def _pad(numbers, length):
    return tuple(numbers) + (0,) * (length - len(numbers))


def erlang_range(rabbitmq):
    """(minimum, maximum prefix) of Erlang/OTP for a RabbitMQ release, or None."""
    rows = [row for row in ERLANG_RANGES if row[0] == series(rabbitmq)]
    patch = rabbitmq[2] if len(rabbitmq) > 2 else 0
    applicable = [row for row in rows if row[1] <= patch]
    if not applicable:
        return None
    row = applicable[-1]
    return upstream(row[2]), upstream(row[3])


def erlang_supported(rabbitmq, otp):
    """Whether RabbitMQ ``rabbitmq`` (tuple) runs on Erlang/OTP ``otp`` (tuple); None if unknown."""
    limits = erlang_range(rabbitmq)
    if limits is None or not otp:
        return None
    low, high = limits
    length = max(len(low), len(otp))
    return _pad(otp, length) >= _pad(low, length) and tuple(otp[:len(high)]) <= high


def describe_range(rabbitmq):
    limits = erlang_range(rabbitmq)
    if limits is None:
        return "unknown"
    low, high = limits
    return "%s to %s.x" % (dotted(low), dotted(high))


def upgrade_path(installed, target_series):
    """Series from the installed release's series to target_series, one allowed step each.

    Returns the list of series (installed first) or None when there is no
    path. A step that needs a minimum patch release (3.11.18 to 3.12) is
    listed; describe_path names that minimum.
    """
    start = series(installed)
    queue = deque([[start]])
    seen = {start}
    while queue:
        path = queue.popleft()
        if path[-1] == tuple(target_series):
            return path
        for source, _minimum, dest in UPGRADE_EDGES:
            if source != path[-1] or dest in seen:
                continue
            seen.add(dest)
            queue.append(path + [dest])
    return None


def describe_path(path):
    """"3.10 -> 3.11 (3.11.18 or later) -> 3.12" for a list of series."""
    minimums = dict(((edge[0], edge[2]), edge[1]) for edge in UPGRADE_EDGES)
    parts = []
    for index, step in enumerate(path):
        text = dotted(step)
        following = path[index + 1] if index + 1 < len(path) else None
        if following and minimums.get((step, following)):
            text += " (%s.%d or later)" % (dotted(step), minimums[(step, following)])
        parts.append(text)
    return " -> ".join(parts)


def rabbitmq_change(installed, target):
    """Classify a RabbitMQ version change by its upstream releases.

    Returns (kind, reason): kind is "none", "patch", "series" (allowed) or
    "refused"; reason explains a refusal.
    """
    if not installed or not target:
        return "refused", "the version cannot be read"
    if _pad(target, 3) == _pad(installed, 3):
        return "none", ""
    if _pad(target, 3) < _pad(installed, 3):
        return "refused", "RabbitMQ does not support downgrades"
    if series(target) == series(installed):
        return "patch", ""
    for source, minimum, dest in UPGRADE_EDGES:
        if source == series(installed) and dest == series(target):
            patch = installed[2] if len(installed) > 2 else 0
            if patch >= minimum:
                return "series", ""
            return "refused", "%s.x moves to %s.x only from %s.%d" % (
                dotted(source), dotted(dest), dotted(source), minimum)
    return "refused", "a rolling upgrade from %s.x to %s.x is not supported" % (
        dotted(series(installed)), dotted(series(target)))


def erlang_change(rabbitmq_installed, rabbitmq_target, erlang_installed, erlang_target, installed_pkg, target_pkg):
    """Whether the Erlang a node will run after a change is one RabbitMQ supports.

    ``erlang_*`` are OTP releases (tuples), ``*_pkg`` the erlang-base package
    versions (compared whole, so a Debian revision such as deb12u1 -> deb12u4
    is a change). Returns (kind, reason): "none" (neither changes), "allowed"
    or "refused".
    """
    erlang_changes = bool(target_pkg and installed_pkg and debian_compare(target_pkg, installed_pkg) != 0)
    if not erlang_changes and _pad(rabbitmq_target, 3) == _pad(rabbitmq_installed, 3):
        return "none", ""
    if erlang_changes and debian_compare(target_pkg, installed_pkg) < 0:
        return "refused", "Erlang %s is older than the installed %s (no downgrades)" % (target_pkg, installed_pkg)
    if erlang_supported(rabbitmq_target, erlang_target):
        return ("allowed" if erlang_changes else "none"), ""
    # The installed pair may itself be outside RabbitMQ's table: a
    # distribution's own build (Debian 14 ships RabbitMQ 4.3 on Erlang 29).
    # Within its series and Erlang release, keep it.
    if erlang_supported(rabbitmq_installed, erlang_installed) is not True \
            and series(rabbitmq_target) == series(rabbitmq_installed) and erlang_target[:1] == erlang_installed[:1]:
        return ("allowed" if erlang_changes else "none"), ""
    return "refused", "RabbitMQ %s does not support Erlang %s (supported: %s)" % (
        dotted(rabbitmq_target), dotted(erlang_target), describe_range(rabbitmq_target))
