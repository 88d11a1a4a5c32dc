# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Limits of a user; an entry states the complete set (set through the user's import entry)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds import users
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import USER, Kind, state
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.vhost_limits import (
    limit_errors,
    limits_of,
)


class UserLimits(Kind):
    name = "user_limits"
    description = ["Limits of a user. An entry states the complete set of limits; a limit left out is removed."]
    purge_description = "Purge user limits."
    options = {
        "user": USER,
        "max_connections": dict(type="int", description="Maximum number of connections (-1 for no limit)."),
        "max_channels": dict(type="int", description="Maximum number of channels over all connections (-1 for no"
                                                     " limit)."),
        "state": state("V(absent) removes every limit of the user."),
    }
    fields = ("max_connections", "max_channels")
    key_fields = ("user",)
    identity = "user"
    vhost_scoped = False
    user_index = 0
    section = "users"
    apply_rank = 1
    delete_rank = 9

    def ident(self, key):
        return "user=%s" % key[0]

    def value(self, entry):
        return limits_of(entry, self.fields)

    def check(self, decl, entry, errors):
        limit_errors(decl, errors)

    def read(self, export, details):
        return dict(((e["name"],), dict(e["limits"])) for e in export.get("users") or [] if e.get("limits"))

    def protected(self, key, ctx):
        return key[0] in ctx.protected_users

    def plan(self, ctx):
        # Imported user limits merge with the existing ones: set through the
        # user's import entry, remove one by one.
        for key, decl, have in ctx.pairs(self):
            user = key[0]
            want = decl.value if decl is not None and decl.present else {}
            have = have or {}
            if want == have:
                continue
            to_set = dict((k, v) for k, v in want.items() if have.get(k) != v)
            if to_set:
                entry = ctx.plan.shared_entry(
                    users.KIND, key, lambda: users.KIND.entry_of(user, ctx.current[users.KIND.name][key]), by=self)
                entry["limits"] = to_set
            for name in sorted(set(have) - set(want)):
                ctx.plan.delete(self, "DELETE", api_path("user-limits", user, name), keys=[key])
            if not want:
                action = "delete"
            elif not have:
                action = "create"
            else:
                action = "update"
            ctx.plan.record(self, key, action, before=dict(have) if have else None, after=dict(want) if want else None)


KIND = UserLimits()
