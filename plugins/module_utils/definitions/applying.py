# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Sending a plan to the broker, and putting the broker back when part of it is refused.

A plan is a list of steps (planning.Step): requests before the imports,
the imports in dependency order and in requests of bounded size, then the
deletions. ``apply()`` sends them in order and stops at the first refusal.

``apply_or_revert()`` adds the way back. A definitions import is not
atomic: the broker applies a document's objects one by one and stops at
the first it refuses, keeping the others. So when a step is refused after
others succeeded (or when a refused step is an import), it reads the broker
again, plans the return of every object the run touched (and of what went
with them: a deleted virtual host's contents, a deleted queue's bindings)
to its state before the run, applies that, and reports what was applied
and what was reverted. A request that timed out or could not reach the
broker is not reverted: the broker may still be working on it, and a
revert would race with it; a re-run plans what remains.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import ApiError, api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.registry import BY_NAME
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.model import DefinitionsError


class ApplyFailed(Exception):
    """A step failed.

    ``cause``: its ApiError; ``steps``: the plan's steps; ``applied``: the
    steps sent before it; ``failed``: the step; ``reverted``: the revert's
    changes (None when not reverted: timeout, or the revert failed with
    ``revert_error``); ``read_back``: the broker was read again for a revert.
    """

    def __init__(self, cause, steps, applied, failed, reverted=None, revert_error=None, read_back=False):
        self.cause = cause
        self.read_back = read_back
        self.steps = steps
        self.applied = applied
        self.failed = failed
        self.reverted = reverted
        self.revert_error = revert_error
        super(ApplyFailed, self).__init__(str(cause))

    @property
    def unknown(self):
        """The failed request's outcome is unknown (timeout, connection lost)."""
        return self.cause.status is None


def apply(api, the_plan, done=None, steps=None):
    """Send the plan's steps in order; each sent step is appended to ``done``."""
    for step in steps if steps is not None else the_plan.steps():
        _send(api, step)
        if done is not None:
            done.append(step)


def apply_or_revert(api, the_plan, plan_revert):
    """apply(); when a step is refused, revert what the run changed and raise ApplyFailed.

    ``plan_revert()`` reads the broker and returns the plan back to the
    state before the run (planning.revert_plan()).
    """
    steps = the_plan.steps()
    done = []
    try:
        apply(api, the_plan, done, steps)
        return steps
    except ApiError as exc:
        failed = steps[len(done)]
        if exc.status is None or (not done and failed.atomic):
            # Unknown outcome (no revert racing the broker), or nothing changed.
            raise ApplyFailed(exc, steps, done, failed, reverted=None if exc.status is None else [])
        try:
            back = plan_revert()
            apply(api, back)
        except (ApiError, DefinitionsError) as revert_exc:
            raise ApplyFailed(exc, steps, done, failed, revert_error=revert_exc, read_back=True)
        raise ApplyFailed(exc, steps, done, failed, reverted=back.changes, read_back=True)


def _send(api, step):
    if step.method == "DELETE_IF_EMPTY":
        _delete_if_empty(api, step.path)
    elif step.method == "DELETE_BINDING":
        _delete_binding(api, step.path)
    else:
        try:
            api.request(step.method, step.path, step.body)
        except ApiError as exc:
            if not (step.missing_ok and exc.status == 404):  # else: already gone
                raise


def _delete_if_empty(api, key):
    """Delete a quorum queue or stream after checking it holds no message."""
    path = api_path("queues", *key)
    details = api.get(path) or {}
    count = sum(int(details.get(field) or 0) for field in ("messages", "messages_ready", "messages_unacknowledged"))
    if count:
        raise ApiError(
            "DELETE", path, 400,
            "queue %r in vhost %r is not empty (%s messages): not re-created" % (key[1], key[0], details.get("messages")),
        )
    api.delete(path)


def _delete_binding(api, key):
    vhost, source, dtype, destination, routing_key, arguments = key
    listing = api.get(api_path("bindings", vhost, "e", source, "q" if dtype == "queue" else "e", destination))
    wanted = json.loads(arguments)
    for binding in listing or []:
        if binding.get("routing_key") == routing_key and (binding.get("arguments") or {}) == wanted:
            api.delete(
                api_path("bindings", vhost, "e", source, "q" if dtype == "queue" else "e", destination,
                         binding["properties_key"])
            )
            return


def _labels(steps):
    seen = []
    for step in steps:
        for kind_name, key in step.objects:
            label = BY_NAME[kind_name].label(key)
            if label not in seen:
                seen.append(label)
    return seen


def _some(labels, most=10):
    if len(labels) <= most:
        return ", ".join(labels)
    return "%s and %d more" % (", ".join(labels[:most]), len(labels) - most)


def failure_report(failure):
    """(message, result fields) for an ApplyFailed: what was applied, refused and reverted."""
    steps, done = failure.steps, failure.applied
    applied = _labels(done)
    fields = dict(
        applied=applied,
        failed_request=failure.failed.lines()[-1],
        failed_objects=_labels([failure.failed]),
        reverted=failure.reverted or [],
    )
    text = "applying the definitions failed: %s" % failure.cause
    if failure.unknown:
        text += (" (the broker may still be applying what it received: re-run to see what remains, and raise"
                 " api_timeout for large imports)")
    if not failure.read_back and not done and not failure.unknown:
        return text, fields  # refused whole before anything changed
    where = "request %d of %d" % (len(done) + 1, len(steps))
    text += "; %s; applied before it: %s" % (where, _some(applied) if applied else "nothing")
    if failure.unknown:
        text += "; not reverted (that request's outcome is unknown): a re-run plans what remains"
    elif failure.revert_error is not None:
        text += ("; reverting failed too (%s): the broker holds part of this run, a re-run plans what remains"
                 % failure.revert_error)
    elif failure.reverted:
        text += "; reverted (with what the refused request had applied): %s; the broker is as before this run" % (
            _some(["%s (%s)" % (c["object"], c["action"]) for c in failure.reverted]))
    else:
        text += "; nothing to revert (read again, the broker is as before this run)"
    return text, fields
