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
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.registry import (
    ALL,
    BY_NAME,
    USER_KIND,
    VHOST_KIND,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.model import (
    DefinitionsError,
    export_version,
    parse_version,
)


# One import request carries at most this much work (Kind.weight per
# entry: a new virtual host 20, a quorum queue or stream 5, most others 1),
# so the broker answers each well within its HTTP timeouts (cowboy closes
# a connection idle for 300 s by default) whatever the run's size.
IMPORT_BUDGET = 500


class Step(object):
    """One write request of a plan and the objects it changes.

    ``method`` is an HTTP method, or DELETE_IF_EMPTY / DELETE_BINDING (a
    read, then a DELETE: applying.py). ``atomic``: when the broker refuses
    the request it applied nothing of it (imports are not atomic).
    ``missing_ok``: a deletion whose object is already gone (HTTP 404) is done.
    """

    __slots__ = ("method", "path", "body", "objects", "atomic", "missing_ok")

    def __init__(self, method, path, body=None, objects=(), atomic=True, missing_ok=False):
        self.method = method
        self.path = path
        self.body = body
        self.objects = list(objects)
        self.atomic = atomic
        self.missing_ok = missing_ok

    def lines(self):
        """The requests as ``METHOD /api/path`` (reads included)."""
        if self.method == "DELETE_IF_EMPTY":
            path = api_path("queues", *self.path)
            return ["GET " + path, "DELETE " + path]
        if self.method == "DELETE_BINDING":
            vhost, source, dtype, destination = self.path[:4]
            path = api_path("bindings", vhost, "e", source, "q" if dtype == "queue" else "e", destination)
            return ["DELETE %s/{props}" % path]
        return ["%s %s" % (self.method, self.path)]


class Plan(object):
    """What a run does: imports, a few targeted requests, and its report."""

    def __init__(self, version):
        self.version = version
        self.imports = []  # (kind, key, entry, objects changed by the entry), in planning order
        self.pre_requests = []  # Steps before the imports
        self.post_requests = []  # (delete rank, Step) after the imports
        self.changes = []
        self.changed_keys = []  # (kind name, key) of each change
        self.before = {}
        self.after = {}
        self.warnings = []
        self._shared = {}

    # -- what kinds call while planning --

    def add_import(self, kind, key, entry, objects=None):
        self.imports.append((kind, key, entry, objects or [(kind.name, key)]))

    def shared_entry(self, kind, key, factory, by=None):
        """The import entry of ``key`` that several kinds fill (a user and its limits).

        ``by``: the kind filling it, when not ``kind`` itself.
        """
        if (kind.name, key) not in self._shared:
            self._shared[(kind.name, key)] = (kind, factory(), [])
        entry = self._shared[(kind.name, key)]
        entry[2].append(((by or kind).name, key))
        return entry[1]

    def pre(self, kind, method, path, body=None, keys=()):
        """A request before the imports (clearing, deleting to re-create), changing ``keys`` of ``kind``."""
        self.pre_requests.append(Step(method, path, body, [(kind.name, key) for key in keys],
                                      missing_ok=method == "DELETE"))

    def delete(self, kind, method, path, body=None, keys=()):
        """A deletion after the imports, in Kind.delete_rank order, changing ``keys`` of ``kind``."""
        step = Step(method, path, body, [(kind.name, key) for key in keys], missing_ok=True)
        self.post_requests.append((kind.delete_rank, step))

    def record(self, kind, key, action, before=None, after=None):
        self.changes.append({"kind": kind.name, "object": kind.label(key), "action": action})
        self.changed_keys.append((kind.name, key))
        ident = kind.ident(key)
        if before is not None:
            self.before.setdefault(kind.name, {})[ident] = before
        if after is not None:
            self.after.setdefault(kind.name, {})[ident] = after

    def finish(self):
        for (_name, key), (kind, entry, objects) in sorted(self._shared.items(), key=lambda item: item[0]):
            self.add_import(kind, key, entry, objects)
        self._shared = {}

    # -- what the module reads --

    @property
    def changed(self):
        return bool(self.changes)

    @property
    def document(self):
        """Every creation and update as one definitions document."""
        return _document(self.imports)

    def steps(self, budget=None):
        """Every write request, in the order applying.apply() sends them.

        Imports go in dependency order (Kind.apply_rank), split into requests
        of at most ``budget`` (weights); a small plan is one import.
        """
        budget = budget or IMPORT_BUDGET
        steps = list(self.pre_requests)
        chunk, weight = [], 0
        for item in sorted(self.imports, key=lambda item: item[0].apply_rank):
            cost = item[0].weight_of(item[2])
            if chunk and weight + cost > budget:
                steps.append(_import_step(chunk))
                chunk, weight = [], 0
            chunk.append(item)
            weight += cost
        if chunk:
            steps.append(_import_step(chunk))
        steps.extend(step for _rank, step in sorted(self.post_requests, key=lambda r: r[0]))
        return steps

    def requests(self):
        """Every write request as (method, path, body), in order."""
        result = []
        for step in self.steps():
            if step.method == "DELETE_IF_EMPTY":
                path = api_path("queues", *step.path)
                result += [("GET", path, None), ("DELETE", path, None)]
            elif step.method == "DELETE_BINDING":
                result.append(("DELETE", step.lines()[0].split(" ", 1)[1], None))
            else:
                result.append((step.method, step.path, step.body))
        return result

    def summary(self):
        counts = {}
        for change in self.changes:
            kind = counts.setdefault(change["kind"], {})
            kind[change["action"]] = kind.get(change["action"], 0) + 1
        return counts


def _document(imports):
    document = {}
    for kind, _key, entry, _objects in imports:
        document.setdefault(kind.section, []).append(entry)
    return document


def _import_step(chunk):
    objects = []
    for _kind, _key, _entry, changed in chunk:
        objects.extend(changed)
    return Step("POST", api_path("definitions"), _document(chunk), objects, atomic=False)


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
        self.kinds = ALL
        self.vhost_kind = VHOST_KIND
        self.user_kind = USER_KIND
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

    def run(self, validate=True):
        if validate:
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


def touched(planner):
    """Every object a run changes, directly or with another (kind name, key)."""
    keys = set(planner.plan.changed_keys)
    for kind_name, key in list(keys):
        keys |= BY_NAME[kind_name].touches(key, planner)
    for kind in ALL:
        for key in planner.current[kind.name]:
            if (kind.name, key) not in keys and any(dep in keys for dep in kind.depends_on(key, planner)):
                keys.add((kind.name, key))
    return keys


def revert_plan(planner, export, vhost_details=None):
    """The plan that brings back every object ``planner``'s run touched to its state before the run.

    ``export`` (and ``vhost_details``) is the broker read again after the
    failure; objects the run did not touch are left alone.
    """
    declared = dict((kind.name, {}) for kind in ALL)
    for kind_name, key in touched(planner):
        declared[kind_name][key] = BY_NAME[kind_name].restore(key, planner.current[kind_name].get(key))
    back = Planner(state.current_state(export, vhost_details), declared, planner.version,
                   options=dict(recreate_queues=True, api_user=planner.option("api_user")), hasher=planner.hasher)
    return back.run(validate=False)


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
    return planner_for(
        export,
        desired,
        vhost_details,
        purge,
        protected_users,
        hasher,
        recreate_queues=recreate_queues,
        extra_policy_keys=extra_policy_keys or (),
        extra_user_tags=extra_user_tags or (),
        min_password_length=min_password_length or 0,
        cluster_nodes=cluster_nodes,
        api_user=api_user,
        api_password=api_password,
    ).run()


def planner_for(export, desired, vhost_details=None, purge=None, protected_users=(), hasher=hash_password,
                **options):
    """The engine for one run (plan() without running it): its ``run()`` returns the Plan."""
    errors = []
    declared = validation.declare(desired, errors)
    return Planner(state.current_state(export, vhost_details), declared, parse_version(export_version(export)),
                   purge=purge, protected_users=protected_users, options=options, hasher=hasher, errors=errors)
