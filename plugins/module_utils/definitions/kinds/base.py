# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What every object kind has, and the defaults most kinds keep.

A kind is one small class (one module per kind in this package). The
engine (validation.py, state.py, planning.py, applying.py) knows kinds only
through the attributes and methods below; a kind overrides what differs.

``ctx`` is the engine's view of a run (planning.Planner): ``version``,
``current`` ({kind name: {key: value}}), ``declared``, ``option(name)``,
``pairs(kind)``, ``gone(kind)``, ``final(kind)``, ``created(kind)`` and
``plan`` (planning.Plan: ``add_import``, ``shared_entry``, ``record``,
``delete``, ``pre``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.options import list_of
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.model import Declared
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.uris import mask_uris, one_or_list

VHOST = dict(type="str", default="/", description="Virtual host.")
USER = dict(type="str", required=True, description="User name.")
NAME = dict(type="str", required=True, description="Name.")


def state(description):
    return dict(type="str", choices=["present", "absent"], default="present", description=description)


class Kind(object):
    # -- what the option is --
    name = None  # option name, result kind, key of the broker state
    description = ()  # the option's documentation
    purge_description = ""
    options = {}  # option table of one entry (options.py)
    checks = {}  # element rules of the argument spec (mutually_exclusive, ...)

    # -- identity --
    key_fields = ("vhost", "name")  # entry fields that name an object, in key order
    name_fields = None  # fields that must not be empty (default: key_fields)
    identity = "vhost and name"  # duplicates share these fields
    vhost_scoped = True  # key[0] is the virtual host: deleted with it
    user_index = None  # key[user_index] is a user: deleted with it

    # -- applying --
    section = None  # section of the definitions document
    apply_rank = 0  # import order (dependencies first)
    delete_rank = 0  # deletion order (dependants first)
    weight = 1  # cost of one import entry, for splitting imports

    def option(self):
        return list_of(self.description, self.options, **self.checks)

    # -- identity --

    def get(self, entry, field):
        """A field of a module entry, or its documented default."""
        value = entry.get(field)
        if value is None:
            value = self.options.get(field, {}).get("default")
        return value

    def key(self, entry):
        return tuple(self.get(entry, field) for field in self.key_fields)

    def ident(self, key):
        """The text inside ``kind[...]`` that names an object."""
        return "vhost=%s, name=%s" % key

    def label(self, key):
        return "%s[%s]" % (self.name, self.ident(key))

    def user_of(self, key):
        return key[self.user_index]

    # -- declaring --

    def declare(self, entry, errors):
        """A module entry (snake_case) -> Declared; problems go to ``errors``."""
        decl = Declared(self, self.key(entry), self.get(entry, "state") or "present")
        decl.value = self.value(entry)
        self.check(decl, entry, errors)
        return decl

    def value(self, entry):
        """The canonical value of a declared entry (compared with the broker's)."""
        raise NotImplementedError

    def check(self, decl, entry, errors):
        """Rules that need nothing but the entry."""

    def require(self, decl, entry, errors, *fields):
        for field in fields:
            if entry.get(field) is None:
                errors.append("%s.%s: required when state is present" % (decl.label, field))

    # -- rules that need the broker: version and values, references, current state --

    def validate(self, decl, ctx, errors):
        pass

    def validate_references(self, decl, ctx, errors):
        pass

    def validate_state(self, decl, have, ctx, errors):
        pass

    # -- the way back (planning.revert_plan()) --

    def restore(self, key, before):
        """The declaration that brings ``key`` back to ``before`` (None: it did not exist)."""
        if before is None:
            return Declared(self, key, "absent")
        return Declared(self, key, "present", value=copy.deepcopy(before))

    def touches(self, key, ctx):
        """Other objects a change of ``key`` changes as well, as (kind name, key)."""
        return set()

    def depends_on(self, key, ctx):
        """Objects whose deletion takes ``key`` along, as (kind name, key)."""
        deps = []
        if self.vhost_scoped:
            deps.append((ctx.vhost_kind.name, (key[0],)))
        if self.user_index is not None:
            deps.append((ctx.user_kind.name, (self.user_of(key),)))
        return deps

    def warnings(self, ctx):
        """Warnings about the broker state the run leaves (after planning)."""
        return []

    def weight_of(self, entry):
        """The cost of importing ``entry`` (planning.IMPORT_BUDGET per request)."""
        return self.weight

    def group_sizes(self, entry):
        """Quorum initial group sizes a module entry asks for (checked against the cluster)."""
        return []

    # -- reading the broker --

    def read(self, export, details):
        """``{key: canonical value}`` of the objects in a definitions export."""
        raise NotImplementedError

    # -- planning --

    def protected(self, key, ctx):
        """Never purged."""
        return False

    def view(self, value):
        """What the diff shows of a value (never a secret)."""
        return copy.deepcopy(value)

    def import_entry(self, key, value):
        raise NotImplementedError

    def delete_path(self, key):
        raise NotImplementedError

    def plan(self, ctx):
        """Kinds whose import replaces the whole object: compare, import, delete."""
        for key, decl, have in ctx.pairs(self):
            if decl is None or not decl.present:
                ctx.plan.record(self, key, "delete", before=self.view(have))
                ctx.plan.delete(self, "DELETE", self.delete_path(key), keys=[key])
                continue
            want = decl.value
            if have == want:
                continue
            ctx.plan.add_import(self, key, self.import_entry(key, want))
            if have is None:
                ctx.plan.record(self, key, "create", after=self.view(want))
            else:
                ctx.plan.record(self, key, "update", before=self.view(have), after=self.view(want))


class ParameterKind(Kind):
    """Runtime parameters of a plugin component (federation, shovels)."""

    component = None
    section = "parameters"
    uri_fields = ()

    def read(self, export, details):
        result = {}
        for entry in export.get("parameters") or []:
            if entry.get("component") == self.component:
                result[(entry["vhost"], entry["name"])] = self.stored_value(entry.get("value"))
        return result

    def stored_value(self, value):
        if isinstance(value, dict):
            value = dict(value)
            for field in self.uri_fields:
                if field in value:
                    value[field] = one_or_list(value[field])
        return value

    def import_entry(self, key, value):
        return {"vhost": key[0], "component": self.component, "name": key[1], "value": value}

    def delete_path(self, key):
        return api_path("parameters", self.component, key[0], key[1])

    def view(self, value):
        return mask_uris(value)
