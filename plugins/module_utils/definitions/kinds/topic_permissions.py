# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Topic permissions of a user for one topic exchange of a virtual host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import USER, VHOST, Kind, state
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.permissions import regex_errors

FIELDS = ("write", "read")


class TopicPermissions(Kind):
    name = "topic_permissions"
    description = [
        "Topic permissions of a user for one topic exchange of a virtual host.",
        "Removing one clears the user's topic permissions in that virtual host and imports the remaining ones"
        " again (the API clears them per virtual host).",
    ]
    purge_description = "Purge topic permissions."
    options = {
        "user": USER,
        "vhost": VHOST,
        "exchange": dict(type="str", default="amq.topic", description="Topic exchange."),
        "write": dict(type="str", default=".*",
                      description="Regular expression for routing keys the user may publish with."),
        "read": dict(type="str", default=".*",
                     description="Regular expression for routing keys the user may bind with."),
        "state": state("Whether the topic permission should exist."),
    }
    key_fields = ("vhost", "user", "exchange")
    identity = "user, vhost and exchange"
    user_index = 1
    section = "topic_permissions"
    apply_rank = 3
    delete_rank = 11

    def ident(self, key):
        return "user=%s, vhost=%s, exchange=%s" % (key[1], key[0], key[2])

    def value(self, entry):
        return dict((field, self.get(entry, field)) for field in FIELDS)

    def check(self, decl, entry, errors):
        if decl.present:
            regex_errors(decl, errors)

    def read(self, export, details):
        return dict(((e["vhost"], e["user"], e["exchange"]), dict((k, e.get(k, "")) for k in FIELDS))
                    for e in export.get("topic_permissions") or [])

    def touches(self, key, ctx):
        # Removing one clears them all for the user in the virtual host.
        return set((self.name, k) for k in ctx.current[self.name] if k[:2] == key[:2])

    def protected(self, key, ctx):
        return key[1] in ctx.protected_users

    def import_entry(self, key, value):
        return dict(user=key[1], vhost=key[0], exchange=key[2], **value)

    def plan(self, ctx):
        # The API clears a user's topic permissions per virtual host, all
        # exchanges at once: clear before the import, re-import what stays.
        cleared = {}
        for key, decl, have in ctx.pairs(self):
            if decl is None or not decl.present:
                ctx.plan.record(self, key, "delete", before=dict(have))
                cleared.setdefault((key[0], key[1]), []).append(key)
                continue
            if have == decl.value:
                continue
            ctx.plan.add_import(self, key, self.import_entry(key, decl.value))
            action = "create" if have is None else "update"
            ctx.plan.record(self, key, action, before=None if have is None else dict(have), after=dict(decl.value))
        current = ctx.current[self.name]
        for vhost, user in sorted(cleared):
            ctx.plan.pre(self, "DELETE", api_path("topic-permissions", vhost, user), keys=cleared[(vhost, user)])
            for key, have in sorted(current.items()):
                if key[:2] != (vhost, user):
                    continue
                decl = ctx.declared[self.name].get(key)
                if decl is not None and decl.present:
                    if have != decl.value:
                        continue  # already in the import
                    value = decl.value
                elif decl is None and not ctx.purging(self):
                    value = have
                else:
                    continue
                ctx.plan.add_import(self, key, self.import_entry(key, value))


KIND = TopicPermissions()
