# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""A management API that keeps state, for tests of partial failures and their revert.

It stands in for open_url like the FakeBroker of test_rabbitmq_definitions.py,
but applies what it receives to a definitions export, the way RabbitMQ 4.0
does: an import applies its categories in the broker's order (users, vhosts,
permissions, topic permissions, exchanges, global parameters, policies,
parameters, queues, bindings); within a category every entry but a refused
one is applied, and the refusal stops the import there (HTTP 400) - the
broker's import is not atomic. Deleting a virtual host, a user, an exchange
or a queue takes along what the broker removes with it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import io
import json
from urllib.error import HTTPError
from urllib.parse import unquote, urlsplit

ORDER = ("users", "vhosts", "permissions", "topic_permissions", "exchanges", "global_parameters", "policies",
         "parameters", "queues", "bindings")
# How an entry of each category is identified.
IDENTITY = {
    "users": ("name",),
    "vhosts": ("name",),
    "permissions": ("vhost", "user"),
    "topic_permissions": ("vhost", "user", "exchange"),
    "exchanges": ("vhost", "name"),
    "global_parameters": ("name",),
    "policies": ("vhost", "name"),
    "parameters": ("vhost", "component", "name"),
    "queues": ("vhost", "name"),
    "bindings": ("vhost", "source", "destination_type", "destination", "routing_key", "arguments"),
}


def _id(category, entry):
    return tuple(json.dumps(entry.get(f), sort_keys=True) if f == "arguments" else entry.get(f)
                 for f in IDENTITY[category])


class Response(object):
    def __init__(self, body):
        self.body = body

    def read(self):
        return self.body

    def close(self):
        pass


class StatefulBroker(object):
    """``refuse(category, entry)`` returns a reason to refuse an imported entry, or None.

    ``fail`` maps (method, path) to (status, reason) for other requests.
    """

    def __init__(self, export, api_user="admin", refuse=None, fail=None, base="http://127.0.0.1:15672"):
        self.state = copy.deepcopy(export)
        for category in ORDER:
            self.state.setdefault(category, [])
        self.api_user = api_user
        self.refuse = refuse or (lambda category, entry: None)
        self.fail = fail or {}
        self.base = base
        self.sent = []

    def lines(self):
        return ["%s %s" % (m, p) for m, p, _b in self.sent]

    def definitions(self):
        return copy.deepcopy(self.state)

    # -- open_url --

    def __call__(self, full_url, data=None, headers=None, method=None, **options):
        url = full_url[len(self.base):]
        body = json.loads(data.decode("utf-8")) if data else None
        self.sent.append((method, url, body))
        if (method, url) in self.fail:
            status, reason = self.fail[(method, url)]
            return self._error(full_url, status, reason)
        split = urlsplit(url)
        parts = [unquote(p) for p in split.path.split("/")[2:]]
        handler = getattr(self, "_%s_%s" % (method.lower(), parts[0].replace("-", "_")), None)
        if handler is None:
            return self._error(full_url, 405, "not supported by the fake: %s %s" % (method, url))
        try:
            answer = handler(parts[1:], body, split.query)
        except LookupError as exc:
            return self._error(full_url, 404, str(exc))
        except ValueError as exc:
            return self._error(full_url, 400, str(exc))
        return Response(b"" if answer is None else json.dumps(answer).encode())

    def _error(self, full_url, status, reason):
        document = json.dumps({"error": "bad_request", "reason": reason}).encode()
        raise HTTPError(full_url, status, "error", {}, io.BytesIO(document))

    # -- reads --

    def _get_definitions(self, parts, body, query):
        return self.definitions()

    def _get_queues(self, parts, body, query):
        self._find("queues", {"vhost": parts[0], "name": parts[1]})
        return {"messages": 0, "messages_ready": 0, "messages_unacknowledged": 0}

    def _get_bindings(self, parts, body, query):
        vhost, _e, source, dkind, destination = parts
        dtype = "queue" if dkind == "q" else "exchange"
        return [dict(b, properties_key="%s~%d" % (b["routing_key"], i))
                for i, b in enumerate(self.state["bindings"])
                if (b["vhost"], b["source"], b["destination_type"], b["destination"]) == (vhost, source, dtype,
                                                                                          destination)]

    # -- the import --

    def _post_definitions(self, parts, body, query):
        for category in ORDER:
            refused = None
            for entry in body.get(category) or []:
                reason = self.refuse(category, entry)
                if reason:
                    refused = refused or reason
                    continue
                getattr(self, "_import_" + category, self._import)(category, copy.deepcopy(entry))
            if refused:
                raise ValueError(refused)

    def _import(self, category, entry):
        self._put(category, entry)

    def _import_users(self, category, entry):
        limits = entry.pop("limits", None)
        old = self._get(category, entry)
        merged = dict(old.get("limits") or {}) if old else {}
        merged.update(limits or {})
        entry["limits"] = merged
        self._put(category, entry)

    def _import_vhosts(self, category, entry):
        new = self._get(category, entry) is None
        meta = dict(entry.get("metadata") or {})
        description = entry.get("description", meta.get("description", ""))
        tags = sorted(entry.get("tags", meta.get("tags", [])))
        dqt = entry.get("default_queue_type", meta.get("default_queue_type", "classic"))
        # As RabbitMQ 4.0 exports a virtual host.
        entry = {"name": entry["name"], "description": description, "tags": tags, "default_queue_type": dqt,
                 "metadata": {"description": description, "tags": tags, "default_queue_type": dqt}}
        self._put(category, entry)
        if new and self.api_user:
            self._put("permissions", {"user": self.api_user, "vhost": entry["name"], "configure": ".*",
                                      "write": ".*", "read": ".*"})

    def _import_exchanges(self, category, entry):
        if self._get(category, entry) is None:  # existing ones are left as they are
            self._put(category, entry)

    _import_queues = _import_exchanges
    _import_bindings = _import_exchanges

    # -- deletions --

    def _delete_vhosts(self, parts, body, query):
        vhost = self._find("vhosts", {"name": parts[0]})["name"]
        self.state["vhosts"] = [v for v in self.state["vhosts"] if v["name"] != vhost]
        for category in ORDER:
            if category not in ("users", "vhosts", "global_parameters"):
                self.state[category] = [e for e in self.state[category] if e.get("vhost") != vhost]

    def _post_users(self, parts, body, query):
        assert parts == ["bulk-delete"]
        names = set(body["users"])
        self.state["users"] = [u for u in self.state["users"] if u["name"] not in names]
        for category in ("permissions", "topic_permissions"):
            self.state[category] = [e for e in self.state[category] if e["user"] not in names]

    def _delete_permissions(self, parts, body, query):
        self._remove("permissions", {"vhost": parts[0], "user": parts[1]})

    def _delete_topic_permissions(self, parts, body, query):
        self.state["topic_permissions"] = [e for e in self.state["topic_permissions"]
                                           if (e["vhost"], e["user"]) != (parts[0], parts[1])]

    def _delete_policies(self, parts, body, query):
        self._remove("policies", {"vhost": parts[0], "name": parts[1]})

    def _delete_operator_policies(self, parts, body, query):
        self._remove("parameters", {"vhost": parts[0], "component": "operator_policy", "name": parts[1]})

    def _delete_parameters(self, parts, body, query):
        self._remove("parameters", {"vhost": parts[1], "component": parts[0], "name": parts[2]})

    def _delete_global_parameters(self, parts, body, query):
        self._remove("global_parameters", {"name": parts[0]})

    def _delete_exchanges(self, parts, body, query):
        vhost, name = parts
        self._remove("exchanges", {"vhost": vhost, "name": name})
        self.state["bindings"] = [b for b in self.state["bindings"] if not (
            b["vhost"] == vhost and (b["source"] == name or (b["destination_type"] == "exchange"
                                                              and b["destination"] == name)))]

    def _delete_queues(self, parts, body, query):
        vhost, name = parts
        self._remove("queues", {"vhost": vhost, "name": name})
        self.state["bindings"] = [b for b in self.state["bindings"] if not (
            b["vhost"] == vhost and b["destination_type"] == "queue" and b["destination"] == name)]

    def _delete_user_limits(self, parts, body, query):
        user = self._find("users", {"name": parts[0]})
        if parts[1] not in user.get("limits", {}):
            raise LookupError("no limit %s" % parts[1])
        del user["limits"][parts[1]]

    def _delete_bindings(self, parts, body, query):
        listing = self._get_bindings(parts[:5], None, "")
        for binding in listing:
            if binding["properties_key"] == parts[5]:
                del binding["properties_key"]
                self.state["bindings"].remove(binding)
                return
        raise LookupError("no binding %s" % parts[5])

    # -- helpers --

    def _get(self, category, entry):
        wanted = _id(category, entry)
        for existing in self.state[category]:
            if _id(category, existing) == wanted:
                return existing
        return None

    def _find(self, category, entry):
        found = self._get(category, entry)
        if found is None:
            raise LookupError("Object Not Found: %s %r" % (category, entry))
        return found

    def _put(self, category, entry):
        old = self._get(category, entry)
        if old is not None:
            self.state[category].remove(old)
        self.state[category].append(entry)

    def _remove(self, category, entry):
        self.state[category].remove(self._find(category, entry))


def same_definitions(first, second):
    """Two exports hold the same objects (the order of each list aside)."""
    def canonical(export):
        return dict((k, sorted(json.dumps(e, sort_keys=True) for e in v) if isinstance(v, list) else v)
                    for k, v in export.items())
    return canonical(first) == canonical(second)
