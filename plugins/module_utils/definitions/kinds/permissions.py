# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Permissions of a user in a virtual host (configure, write and read regular expressions)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import USER, VHOST, Kind, state
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.values import regex_error

FIELDS = ("configure", "write", "read")


def regex_errors(decl, errors):
    for field, pattern in sorted(decl.value.items()):
        reason = regex_error(pattern)
        if reason:
            errors.append("%s.%s: invalid regular expression %r: %s" % (decl.label, field, pattern, reason))


class Permissions(Kind):
    name = "permissions"
    description = ["Permissions of a user in a virtual host (regular expressions)."]
    purge_description = "Purge permissions."
    options = {
        "user": USER,
        "vhost": VHOST,
        "configure": dict(type="str", default=".*", description="Configure regular expression."),
        "write": dict(type="str", default=".*", description="Write regular expression."),
        "read": dict(type="str", default=".*", description="Read regular expression."),
        "state": state("Whether the permissions should exist."),
    }
    key_fields = ("vhost", "user")
    identity = "user and vhost"
    user_index = 1
    section = "permissions"
    apply_rank = 2
    delete_rank = 12

    def ident(self, key):
        return "user=%s, vhost=%s" % (key[1], key[0])

    def value(self, entry):
        return dict((field, self.get(entry, field)) for field in FIELDS)

    def check(self, decl, entry, errors):
        if decl.present:
            regex_errors(decl, errors)

    def read(self, export, details):
        return dict(((e["vhost"], e["user"]), dict((k, e.get(k, "")) for k in FIELDS))
                    for e in export.get("permissions") or [])

    def protected(self, key, ctx):
        return key[1] in ctx.protected_users

    def import_entry(self, key, value):
        return dict(user=key[1], vhost=key[0], **value)

    def delete_path(self, key):
        return api_path("permissions", key[0], key[1])

    def plan(self, ctx):
        Kind.plan(self, ctx)
        # Importing a virtual host gives the importing user full permissions
        # on it: remove them when they are declared absent.
        user = ctx.option("api_user")
        if not user:
            return
        for (vhost,) in sorted(ctx.created(ctx.vhost_kind)):
            key = (vhost, user)
            decl = ctx.declared[self.name].get(key)
            if decl is not None and not decl.present and key not in ctx.current[self.name]:
                ctx.plan.record(self, key, "delete", before={"configure": ".*", "write": ".*", "read": ".*"})
                ctx.plan.delete(self, "DELETE", self.delete_path(key), keys=[key])


KIND = Permissions()
