# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Users of the internal database: password (compared with the stored salted hash) and tags."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.options import with_description
from ansible_collections.mqops.rabbitmq.plugins.module_utils.password import (
    UnsupportedHashingAlgorithm,
    password_matches,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.user_options import (
    DEFAULT_HASHING_ALGORITHM,
    USER_CHECKS,
    USER_OPTIONS,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import Kind
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.model import normalise_tags

# User tags the broker and its management plugin give a meaning to. RabbitMQ
# stores any tag without complaint, so a misspelt one ("admin") silently
# grants nothing; other tags need extra_user_tags.
USER_TAGS = frozenset(("administrator", "impersonator", "management", "monitoring", "policymaker"))


def user_tag_errors(where, tags, extra_tags=()):
    """One message per tag of ``tags`` that is neither built in nor in ``extra_tags``.

    ``where`` names the field, for example ``users[ops].tags``.
    """
    allowed = USER_TAGS | set(extra_tags or ())
    shown = ", ".join(sorted(USER_TAGS)) + "".join(", %s" % t for t in sorted(set(extra_tags or ()) - USER_TAGS))
    return [
        "%s: unknown tag %r; allowed: %s (or list it in extra_user_tags)" % (where, tag, shown)
        for tag in normalise_tags(tags)
        if tag not in allowed
    ]


# Named in the messages about the API user: the module options and the
# variables of the mqops.rabbitmq roles they come from.
API_PASSWORD_OWNER = (
    "api_password (through the roles: rabbitmq_definitions_api_password, which defaults to"
    " rabbitmq_server_admin_password)"
)
USERS_OPTION = "users (through the role: rabbitmq_definitions_users)"


def api_user_errors(decl, api_user, api_password):
    """The user the module logs in as has one password owner: api_password.

    Declaring it in ``users`` with another password (or a hash of another
    password) would change the password the next run logs in with (HTTP
    401), and runs would flip it back and forth; deleting it or taking its
    administrator tag would lock the module out. Values are never shown.
    """
    label = decl.label
    if not decl.present:
        return ["%s: the API user (api_user) cannot be deleted: every run logs in as it; remove this entry from %s"
                % (label, USERS_OPTION)]
    errors = []
    opts = decl.options
    if opts["update_password"] == "always" and api_password is not None:
        if opts["password"] is not None and opts["password"] != api_password:
            errors.append(
                "%s.password: differs from %s, the password every run logs in with; the administrator's password"
                " has one owner: leave password out of this entry in %s (or give the same one) and change it"
                " through %s; the values are not shown" % (label, API_PASSWORD_OWNER, USERS_OPTION, API_PASSWORD_OWNER))
        elif opts["password_hash"] is not None and not _matches(
                api_password, opts["password_hash"], opts["hashing_algorithm"]):
            errors.append(
                "%s.password_hash: is not a hash of %s, the password every run logs in with; the administrator's"
                " password has one owner: leave password_hash out of this entry in %s and change it through %s;"
                " the values are not shown" % (label, API_PASSWORD_OWNER, USERS_OPTION, API_PASSWORD_OWNER))
    tags = decl.value["tags"]
    if tags is not None and "administrator" not in tags:
        errors.append("%s.tags: the API user needs the administrator tag (every run logs in as it to read and write"
                      " definitions); allowed: tags that include administrator" % label)
    return errors


def _matches(password, password_hash, algorithm):
    try:
        return password_matches(password, password_hash, algorithm)
    except UnsupportedHashingAlgorithm:
        return False


def password_length_error(where, password, min_length):
    """None when ``password`` is long enough, else a message without the password.

    ``min_length`` 0 (or less, or None) disables the check.
    """
    if password is None or not min_length or min_length <= 0 or len(password) >= min_length:
        return None
    return "%s: shorter than min_password_length (%d characters); the value is not shown" % (where, min_length)


class Users(Kind):
    name = "users"
    description = ["Users of the internal database."]
    purge_description = "Purge users."
    options = dict(
        USER_OPTIONS,
        password=with_description(USER_OPTIONS["password"],
                                  "Must have at least O(min_password_length) characters.",
                                  "For O(api_user) (the administrator the module logs in as), it must be"
                                  " O(api_password) or be left out: the administrator's password has one owner."
                                  " Deleting O(api_user) or declaring it without the V(administrator) tag is"
                                  " refused too."),
        tags=with_description(USER_OPTIONS["tags"],
                              "Any other tag is refused unless listed in O(extra_user_tags) (RabbitMQ would store"
                              " it and grant nothing)."),
    )
    checks = USER_CHECKS
    key_fields = ("name",)
    identity = "name"
    vhost_scoped = False
    section = "users"
    apply_rank = 1
    delete_rank = 13

    def ident(self, key):
        return key[0]

    def declare(self, entry, errors):
        decl = Kind.declare(self, entry, errors)
        decl.options = {
            "password": entry.get("password"),
            "password_hash": entry.get("password_hash"),
            "hashing_algorithm": self.get(entry, "hashing_algorithm"),
            "update_password": self.get(entry, "update_password"),
        }
        return decl

    def value(self, entry):
        return {"tags": None if entry.get("tags") is None else normalise_tags(entry.get("tags"))}

    def validate(self, decl, ctx, errors):
        """Tags the broker knows (or extra_user_tags), plain passwords long enough, the API user's password."""
        if ctx.option("api_user") is not None and decl.key[0] == ctx.option("api_user"):
            errors.extend(api_user_errors(decl, ctx.option("api_user"), ctx.option("api_password")))
        if not decl.present:
            return
        if decl.value["tags"] is not None:
            errors.extend(user_tag_errors(decl.label + ".tags", decl.value["tags"], ctx.option("extra_user_tags")))
        error = password_length_error(decl.label + ".password", decl.options["password"],
                                      ctx.option("min_password_length"))
        if error:
            errors.append(error)

    def validate_references(self, decl, ctx, errors):
        opts = decl.options
        if decl.present and decl.key not in ctx.current[self.name]:
            if opts["password"] is None and opts["password_hash"] is None:
                errors.append("%s.password: a new user needs password or password_hash" % decl.label)

    def read(self, export, details):
        result = {}
        for entry in export.get("users") or []:
            result[(entry["name"],)] = {
                "tags": normalise_tags(entry.get("tags")),
                "password_hash": entry.get("password_hash", ""),
                "hashing_algorithm": entry.get("hashing_algorithm") or DEFAULT_HASHING_ALGORITHM,
            }
        return result

    def protected(self, key, ctx):
        return key[0] in ctx.protected_users

    def restore(self, key, before):
        decl = Kind.restore(self, key, before)
        if before is not None:
            decl.value = {"tags": list(before["tags"])}
            decl.options = {"password": None, "password_hash": before["password_hash"],
                            "hashing_algorithm": before["hashing_algorithm"], "update_password": "always"}
        return decl

    def entry_of(self, name, have):
        """The import entry of an existing user, unchanged."""
        return {
            "name": name,
            "password_hash": have["password_hash"],
            "hashing_algorithm": have["hashing_algorithm"],
            "tags": list(have["tags"]),
        }

    def plan(self, ctx):
        deleted = []
        for key, decl, have in ctx.pairs(self):
            name = key[0]
            if decl is None or not decl.present:
                ctx.plan.record(self, key, "delete", before={"tags": have["tags"]})
                deleted.append(name)
                continue
            entry, password_changed = self._password(ctx, decl, have)
            if entry is None:
                continue
            tags = decl.value["tags"]
            if tags is None:
                tags = have["tags"] if have is not None else []
            entry["tags"] = list(tags)
            tags_changed = have is not None and have["tags"] != tags
            if have is None:
                ctx.plan.shared_entry(self, key, lambda: entry)
                ctx.plan.record(self, key, "create", after={"tags": list(tags), "password": "(set)"})
            elif password_changed or tags_changed:
                ctx.plan.shared_entry(self, key, lambda: entry)
                before = {"tags": have["tags"]}
                after = {"tags": list(tags)}
                if password_changed:
                    before["password"] = "(previous)"
                    after["password"] = "(changed)"
                ctx.plan.record(self, key, "update", before=before, after=after)
        if deleted:
            # One request for every user (POST /api/users/bulk-delete, 3.8+).
            ctx.plan.delete(self, "POST", api_path("users", "bulk-delete"), {"users": deleted},
                            keys=[(name,) for name in deleted])

    def _password(self, ctx, decl, have):
        """(import entry, password changed); (None, False) when the stored hash is unusable."""
        opts = decl.options
        algorithm = opts["hashing_algorithm"]
        if have is None:
            if opts["password_hash"] is not None:
                new_hash = opts["password_hash"]
            elif opts["password"] is not None:
                new_hash = ctx.hasher(opts["password"], algorithm)
            else:  # refused by validate_references()
                raise AssertionError("new user %s without a password" % decl.key[0])
            return {"name": decl.key[0], "password_hash": new_hash, "hashing_algorithm": algorithm}, False
        entry = {"name": decl.key[0], "password_hash": have["password_hash"],
                 "hashing_algorithm": have["hashing_algorithm"]}
        if opts["update_password"] != "always":
            return entry, False
        if opts["password_hash"] is not None:
            if opts["password_hash"] != have["password_hash"] or algorithm != have["hashing_algorithm"]:
                entry.update(password_hash=opts["password_hash"], hashing_algorithm=algorithm)
                return entry, True
        elif opts["password"] is not None:
            try:
                same = password_matches(opts["password"], have["password_hash"], have["hashing_algorithm"])
            except UnsupportedHashingAlgorithm as exc:
                ctx.errors.append("%s.password: %s" % (decl.label, exc))
                return None, False
            if not same:
                entry.update(password_hash=ctx.hasher(opts["password"], algorithm), hashing_algorithm=algorithm)
                return entry, True
        return entry, False


KIND = Users()
