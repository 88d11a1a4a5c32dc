# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The users a role declares, against what the broker holds: the plan that
rabbitmq_cli_users applies, and that rabbitmq_node_info makes read-only to
tell a play it has nothing to do (no second module run)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.password import (
    UnsupportedHashingAlgorithm,
    hash_password,
    password_matches,
)

PERMISSION_KEYS = ("configure", "write", "read")


class PlanError(ValueError):
    """Desired state that cannot be applied (names the user and field)."""


def _tags(value):
    if value is None:
        return []
    if isinstance(value, str):
        return sorted(t.strip() for t in value.split(",") if t.strip())
    return sorted(value)


def _permissions_by_user(definitions):
    result = {}
    for perm in definitions.get("permissions", []):
        result.setdefault(perm["user"], {})[perm["vhost"]] = {k: perm[k] for k in PERMISSION_KEYS}
    return result


def _view(user, permissions):
    """What --diff shows of a user: never the password or its hash."""
    return {
        "tags": _tags(user.get("tags")),
        "permissions": copy.deepcopy(permissions),
    }


def plan(definitions, desired, hasher=hash_password):
    """Compute the changes that bring ``definitions`` to ``desired``.

    Returns a dict with ``import`` (a definitions document, or None),
    ``delete`` (user names), ``created``, ``updated`` and ``before``/``after``
    views for the diff. Raises PlanError on input that cannot be applied.
    """
    current = {u["name"]: u for u in definitions.get("users", [])}
    vhosts = {v["name"] for v in definitions.get("vhosts", [])}
    current_perms = _permissions_by_user(definitions)

    names = [u["name"] for u in desired]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise PlanError("users: duplicate user name(s) %s" % ", ".join(duplicates))

    to_import = {"users": [], "permissions": []}
    result = {"delete": [], "created": [], "updated": [], "before": {}, "after": {}}

    for want in desired:
        name = want["name"]
        have = current.get(name)
        have_perms = current_perms.get(name, {})
        if have is not None:
            result["before"][name] = _view(have, have_perms)

        if want.get("state", "present") == "absent":
            if have is not None:
                result["delete"].append(name)
            continue

        if want.get("password") is not None and want.get("password_hash") is not None:
            raise PlanError("users[%s]: password and password_hash are mutually exclusive" % name)
        algorithm = want.get("hashing_algorithm") or "rabbit_password_hashing_sha256"

        password_changed = False
        if have is None:
            if want.get("password_hash") is not None:
                new_hash = want["password_hash"]
            elif want.get("password") is not None:
                new_hash = hasher(want["password"], algorithm)
            else:
                raise PlanError("users[%s]: a new user needs password or password_hash" % name)
            entry = {"name": name, "password_hash": new_hash, "hashing_algorithm": algorithm}
        else:
            entry = {
                "name": name,
                "password_hash": have.get("password_hash", ""),
                "hashing_algorithm": have.get("hashing_algorithm") or algorithm,
            }
            if want.get("update_password", "always") == "always":
                if want.get("password_hash") is not None:
                    if want["password_hash"] != have.get("password_hash") or algorithm != entry["hashing_algorithm"]:
                        entry["password_hash"] = want["password_hash"]
                        entry["hashing_algorithm"] = algorithm
                        password_changed = True
                elif want.get("password") is not None:
                    try:
                        same = password_matches(want["password"], have.get("password_hash", ""), entry["hashing_algorithm"])
                    except UnsupportedHashingAlgorithm as exc:
                        raise PlanError("users[%s]: %s" % (name, exc))
                    if not same:
                        entry["password_hash"] = hasher(want["password"], algorithm)
                        entry["hashing_algorithm"] = algorithm
                        password_changed = True

        want_tags = _tags(want["tags"]) if want.get("tags") is not None else _tags(have.get("tags") if have else [])
        entry["tags"] = want_tags
        if have is not None and "limits" in have:
            entry["limits"] = have["limits"]

        want_perms = copy.deepcopy(have_perms)
        perm_entries = []
        for perm in want.get("permissions") or []:
            vhost = perm.get("vhost", "/")
            if vhost not in vhosts:
                raise PlanError(
                    "users[%s].permissions: virtual host %r does not exist (existing: %s)"
                    % (name, vhost, ", ".join(sorted(vhosts)) or "none")
                )
            rule = {k: perm.get(k, ".*") for k in PERMISSION_KEYS}
            if have_perms.get(vhost) != rule:
                perm_entries.append(dict(user=name, vhost=vhost, **rule))
            want_perms[vhost] = rule

        result["after"][name] = _view({"tags": want_tags}, want_perms)
        tags_changed = have is not None and _tags(have.get("tags")) != want_tags
        if have is None or password_changed or tags_changed:
            to_import["users"].append(entry)
        to_import["permissions"].extend(perm_entries)
        if have is None:
            result["created"].append(name)
        elif password_changed or tags_changed or perm_entries:
            result["updated"].append(name)
            if password_changed:
                result["after"][name]["password"] = "(changed)"
                result["before"][name]["password"] = "(previous)"

    result["import"] = to_import if (to_import["users"] or to_import["permissions"]) else None
    return result


def read_over_api(api):
    """The users, permissions and vhosts as an export holds them (one GET each)."""
    return {
        "users": api.get(api_path("users")) or [],
        "permissions": api.get(api_path("permissions")) or [],
        "vhosts": api.get(api_path("vhosts")) or [],
    }


def login_user(users):
    """(name, password) of the first user declared present with a password, else None."""
    for user in users:
        if user.get("state", "present") == "present" and user.get("password"):
            return user["name"], user["password"]
    return None


def empty_plan(definitions, desired):
    """The plan when ``desired`` already holds in ``definitions`` (nothing to import or delete, its
    before/after views kept for a diff), else None - also for a plan that cannot be made."""
    try:
        changes = plan(definitions, desired)
    except (PlanError, KeyError, TypeError, ValueError):
        return None
    return None if (changes["import"] or changes["delete"]) else changes


def unchanged(definitions, desired):
    """Whether ``desired`` already holds in ``definitions``."""
    return empty_plan(definitions, desired) is not None
