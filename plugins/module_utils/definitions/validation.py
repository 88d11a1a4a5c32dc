# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Declarations into objects, and every rule checked before anything is changed.

``declare()`` turns the module's lists into Declared objects (defaults,
canonical values, rules that need nothing but the entry, duplicates).
``validate()`` runs the rules that need the broker, in phases so that
messages come in a stable order: values and versions, virtual host and
user scopes, references between objects, then what the broker already
holds (objects RabbitMQ cannot change in place). Every problem is
collected; nothing stops at the first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.registry import ALL, USER_KIND, VHOST_KIND


def declare(desired, errors):
    """``{kind: [entries]}`` -> ``{kind: {key: Declared}}``; duplicates are errors."""
    result = {}
    for kind in ALL:
        declared = {}
        positions = {}
        for index, entry in enumerate(desired.get(kind.name) or []):
            for field in kind.name_fields or kind.key_fields:
                if kind.get(entry, field) == "":
                    errors.append("%s[%d].%s: must not be empty; allowed: a non-empty name" % (kind.name, index, field))
            decl = kind.declare(entry, errors)
            if decl.key in declared:
                errors.append(
                    "%s: declared more than once (%s[%d] and %s[%d] have the same %s)"
                    % (decl.label, kind.name, positions[decl.key], kind.name, index, kind.identity)
                )
                continue
            declared[decl.key] = decl
            positions[decl.key] = index
        result[kind.name] = declared
    return result


def validate(ctx):
    """Append to ``ctx.errors`` every problem the declarations have against the broker."""
    errors = ctx.errors
    ordered = dict((kind.name, [decl for _key, decl in sorted(ctx.declared[kind.name].items())]) for kind in ALL)
    for kind in ALL:  # values and versions
        for decl in ordered[kind.name]:
            kind.validate(decl, ctx, errors)
    _validate_scopes(ctx, ordered)
    for kind in ALL:  # references between objects
        for decl in ordered[kind.name]:
            kind.validate_references(decl, ctx, errors)
    for kind in ALL:  # what the broker already holds
        current = ctx.current[kind.name]
        for decl in ordered[kind.name]:
            kind.validate_state(decl, current.get(decl.key), ctx, errors)


def _validate_scopes(ctx, ordered):
    """Objects inside a virtual host, or of a user, need it to exist once the run is over."""
    vhosts = set(k[0] for k in ctx.final(VHOST_KIND))
    gone_vhosts = set(k[0] for k in ctx.gone(VHOST_KIND))
    users = set(k[0] for k in ctx.final(USER_KIND))
    gone_users = set(k[0] for k in ctx.gone(USER_KIND))
    for kind in ALL:
        for decl in ordered[kind.name]:
            if not decl.present:
                continue
            if kind.vhost_scoped:
                vhost = decl.key[0]
                if vhost in gone_vhosts:
                    ctx.errors.append("%s.vhost: virtual host %r is deleted by this run" % (decl.label, vhost))
                elif vhost not in vhosts:
                    ctx.errors.append("%s.vhost: virtual host %r is neither declared nor existing"
                                      % (decl.label, vhost))
            if kind.user_index is not None:
                user = kind.user_of(decl.key)
                if user in gone_users:
                    ctx.errors.append("%s.user: user %r is deleted by this run" % (decl.label, user))
                elif user not in users:
                    ctx.errors.append("%s.user: user %r is neither declared nor existing" % (decl.label, user))
