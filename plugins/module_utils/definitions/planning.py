# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The difference between the broker and the declarations, as a plan (no I/O here).

``plan()`` compares the broker state (state.py) with the declared objects
and returns a Plan holding

- the definitions to import (POST /api/definitions): every creation and
  update,
- the few targeted requests an import cannot express: deletions, removal
  of single user limits, re-creation of an empty queue, clearing topic
  permissions,
- the report: changes, per-object before/after (never a secret: passwords
  and hashes never appear, credentials inside URIs are masked), warnings.

The Planner is the engine: it knows kinds only through kinds/base.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.password import hash_password
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions import state, validation
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds import ALL, USER_KIND, VHOST_KIND
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.model import (
    DefinitionsError,
    export_version,
    parse_version,
)


class Plan(object):
    """What a run does: imports, a few targeted requests, and its report."""

    def __init__(self, version):
        self.version = version
        self.imports = []  # (kind, key, entry), in planning order
        self.pre_requests = []  # before the import: (method, path, body)
        self.post_requests = []  # after the import: (rank, method, path, body)
        self.changes = []
        self.before = {}
        self.after = {}
        self.warnings = []
        self._shared = {}

    # -- what kinds call while planning --

    def add_import(self, kind, key, entry):
        self.imports.append((kind, key, entry))

    def shared_entry(self, kind, key, factory):
        """The import entry of ``key`` that several kinds fill (a user and its limits)."""
        if (kind.name, key) not in self._shared:
            self._shared[(kind.name, key)] = (kind, factory())
        return self._shared[(kind.name, key)][1]

    def pre(self, kind, key, method, path, body=None):
        self.pre_requests.append((method, path, body))

    def delete(self, kind, method, path, body=None):
        self.post_requests.append((kind.delete_rank, method, path, body))

    def record(self, kind, key, action, before=None, after=None):
        self.changes.append({"kind": kind.name, "object": kind.label(key), "action": action})
        ident = kind.ident(key)
        if before is not None:
            self.before.setdefault(kind.name, {})[ident] = before
        if after is not None:
            self.after.setdefault(kind.name, {})[ident] = after

    def finish(self):
        for (_name, key), (kind, entry) in sorted(self._shared.items(), key=lambda item: item[0]):
            self.add_import(kind, key, entry)
        self._shared = {}

    # -- what the module reads --

    @property
    def changed(self):
        return bool(self.changes)

    @property
    def document(self):
        """The definitions document to import: every creation and update."""
        document = {}
        for kind, _key, entry in self.imports:
            document.setdefault(kind.section, []).append(entry)
        return document

    def requests(self):
        """Every write request, in the order applying.apply() sends them."""
        result = []
        for method, path, body in self.pre_requests:
            if method == "DELETE_IF_EMPTY":
                result.append(("GET", api_path("queues", *path), None))
                result.append(("DELETE", api_path("queues", *path), None))
            else:
                result.append((method, path, body))
        if self.imports:
            result.append(("POST", api_path("definitions"), self.document))
        for _order, method, path, body in sorted(self.post_requests, key=lambda r: r[0]):
            if method == "DELETE_BINDING":
                vhost, source, dtype, destination = path[:4]
                kind = "q" if dtype == "queue" else "e"
                method, path = "DELETE", api_path("bindings", vhost, "e", source, kind, destination) + "/{props}"
            result.append((method, path, body))
        return result

    def summary(self):
        counts = {}
        for change in self.changes:
            kind = counts.setdefault(change["kind"], {})
            kind[change["action"]] = kind.get(change["action"], 0) + 1
        return counts


class Planner(object):
    """One run's view of the broker and the declarations, handed to the kinds as ``ctx``."""

    def __init__(self, current, declared, version, purge=None, protected_users=(), options=None,
                 hasher=hash_password, errors=None):
        self.current = current
        self.declared = declared
        self.version = version
        self.purge = dict((k, bool(v)) for k, v in (purge or {}).items())
        self.protected_users = set(protected_users or ())
        self.options = options or {}
        self.hasher = hasher
        self.errors = errors if errors is not None else []
        self.recreated = set()  # (kind name, key) re-created by this run
        self.plan = Plan(version)
        self._gone = {}
        self._final = {}

    def option(self, name):
        return self.options.get(name)

    def purging(self, kind):
        return self.purge.get(kind.name, False)

    # -- what will exist once the run is over --

    def gone(self, kind):
        """Keys of ``kind`` deleted by this run (declared absent or purged)."""
        if kind.name not in self._gone:
            gone = set()
            declared = self.declared[kind.name]
            purging = self.purging(kind)
            for key in self.current[kind.name]:
                decl = declared.get(key)
                if decl is not None:
                    if not decl.present:
                        gone.add(key)
                elif purging and not kind.protected(key, self):
                    gone.add(key)
            self._gone[kind.name] = gone
        return self._gone[kind.name]

    def final(self, kind):
        if kind.name not in self._final:
            keys = set(self.current[kind.name]) - self.gone(kind)
            keys |= set(k for k, d in self.declared[kind.name].items() if d.present)
            self._final[kind.name] = keys
        return self._final[kind.name]

    def created(self, kind):
        return set(k for k, d in self.declared[kind.name].items() if d.present) - set(self.current[kind.name])

    def pairs(self, kind):
        """(key, declared or None, current or None) for every object this run touches."""
        declared = self.declared[kind.name]
        current = self.current[kind.name]
        purging = self.purging(kind)
        gone_vhosts = self.gone_vhosts
        gone_users = self.gone_users
        for key in sorted(set(declared) | set(current)):
            decl = declared.get(key)
            have = current.get(key)
            if decl is None and not (purging and not kind.protected(key, self)):
                continue  # not declared, not purged: left alone
            if decl is None or not decl.present:
                if have is None:
                    continue  # absent already
                if kind.vhost_scoped and key[0] in gone_vhosts:
                    continue  # goes with its virtual host
                if kind.user_index is not None and kind.user_of(key) in gone_users:
                    continue  # goes with its user
            yield key, decl, have

    # -- the run --

    def run(self):
        validation.validate(self)
        if self.errors:
            raise DefinitionsError(self.errors)
        self.gone_vhosts = set(k[0] for k in self.gone(VHOST_KIND))
        self.gone_users = set(k[0] for k in self.gone(USER_KIND))
        for kind in ALL:
            kind.plan(self)
        if self.errors:  # found while diffing (a stored hash of unknown algorithm)
            raise DefinitionsError(self.errors)
        self.plan.finish()
        for kind in ALL:
            self.plan.warnings.extend(kind.warnings(self))
        return self.plan


def plan(export, desired, vhost_details=None, purge=None, protected_users=(), recreate_queues=False,
         extra_policy_keys=(), hasher=hash_password, extra_user_tags=(), min_password_length=0,
         cluster_nodes=None, api_user=None, api_password=None):
    """Compare ``export`` (GET /api/definitions) with ``desired`` ({kind: [entries]}).

    ``extra_user_tags``: user tags accepted besides the built-in ones.
    ``min_password_length``: shortest plain password accepted (0: any).
    ``cluster_nodes``: number of cluster nodes (state.read_cluster_nodes()),
    to check quorum initial group sizes against; None checks only their form.
    ``api_user``, ``api_password``: the user the module logs in as, whose
    password only ``api_password`` may set (None: no such rule).

    Returns a Plan; raises DefinitionsError (every problem found, each naming
    the object and the field) before anything would be changed.
    """
    errors = []
    declared = validation.declare(desired, errors)
    planner = Planner(
        state.current_state(export, vhost_details),
        declared,
        parse_version(export_version(export)),
        purge=purge,
        protected_users=protected_users,
        options=dict(
            recreate_queues=recreate_queues,
            extra_policy_keys=extra_policy_keys or (),
            extra_user_tags=extra_user_tags or (),
            min_password_length=min_password_length or 0,
            cluster_nodes=cluster_nodes,
            api_user=api_user,
            api_password=api_password,
        ),
        hasher=hasher,
        errors=errors,
    )
    return planner.run()
