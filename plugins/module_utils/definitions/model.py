# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The object model every part of the engine shares: a declared object, errors, versions."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re


class DefinitionsError(ValueError):
    """Declared definitions that cannot be applied; one message per problem."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(DefinitionsError, self).__init__("; ".join(self.errors))


class Declared(object):
    """One declared object after normalisation.

    ``kind`` is the Kind object, ``key`` its identity tuple, ``value`` the
    canonical value compared with the broker's, ``options`` what is
    declared but not compared as such (a user's password, for example).
    """

    __slots__ = ("kind", "key", "state", "value", "options")

    def __init__(self, kind, key, state, value=None, options=None):
        self.kind = kind
        self.key = key
        self.state = state
        self.value = value
        self.options = options or {}

    @property
    def label(self):
        return self.kind.label(self.key)

    @property
    def present(self):
        return self.state == "present"


def parse_version(text):
    """``"3.10.8"`` -> ``(3, 10, 8)``; None when there is nothing to parse."""
    if not text:
        return None
    match = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", str(text))
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def format_version(version):
    return ".".join(str(p) for p in version) if version else "unknown"


def export_version(export):
    return export.get("rabbitmq_version") or export.get("rabbit_version")


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def normalise_tags(value):
    """Tags as a sorted list, whether given as a list or "a,b"."""
    if value is None:
        return []
    if isinstance(value, str):
        return sorted(t.strip() for t in value.split(",") if t.strip())
    return sorted(str(t) for t in value)


def clean(value):
    """A dict without its None values (for display)."""
    return dict((k, v) for k, v in (value or {}).items() if v is not None)


def show(value):
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else str(value)


def differences(have, want):
    """``field (broker: x, declared: y), ...`` for the fields that differ."""
    return ", ".join(
        "%s (broker: %s, declared: %s)" % (field, show(have[field]), show(want[field]))
        for field in sorted(want)
        if have.get(field) != want[field]
    )
