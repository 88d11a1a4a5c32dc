# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Declarative RabbitMQ definitions: validate, diff and plan (no I/O here).

The broker state comes from one definitions export (GET /api/definitions,
plus GET /api/vhosts on RabbitMQ < 3.11 when virtual host metadata is
managed: those exports carry only vhost names). ``plan()`` compares it with
the declared objects and returns

- one definitions document to import (POST /api/definitions) holding every
  creation and update, and
- the few targeted requests the import cannot express: deletions, removal of
  single user limits, re-creation of an empty queue, clearing topic
  permissions.

``apply()`` sends them through a ``ManagementApi``. A run with nothing to
change costs one GET, however many objects are declared (plus GET
/api/nodes when a quorum initial group size above 1 is declared, to check
it against the number of cluster nodes).

Everything the planner returns for display (diff, changes) is free of
secrets: passwords and hashes never appear, and credentials inside
``amqp://user:password@host`` URIs are masked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import (
    ApiError,
    api_path,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.password import (
    UnsupportedHashingAlgorithm,
    hash_password,
    password_matches,
)

# Object kinds, in the order they are validated and reported.
KINDS = (
    "vhosts",
    "users",
    "permissions",
    "topic_permissions",
    "policies",
    "operator_policies",
    "vhost_limits",
    "user_limits",
    "global_parameters",
    "federation_upstreams",
    "federation_upstream_sets",
    "shovels",
    "exchanges",
    "queues",
    "bindings",
)

# Deletions run after the import, dependants first; a vhost deletion last
# (it takes everything inside with it).
DELETE_ORDER = (
    "bindings",
    "shovels",
    "queues",
    "exchanges",
    "federation_upstream_sets",
    "federation_upstreams",
    "policies",
    "operator_policies",
    "vhost_limits",
    "user_limits",
    "global_parameters",
    "topic_permissions",
    "permissions",
    "users",
    "vhosts",
)

VHOST_SCOPED = frozenset(
    (
        "permissions",
        "topic_permissions",
        "policies",
        "operator_policies",
        "vhost_limits",
        "federation_upstreams",
        "federation_upstream_sets",
        "shovels",
        "exchanges",
        "queues",
        "bindings",
    )
)
USER_SCOPED = frozenset(("permissions", "topic_permissions", "user_limits"))

DEFAULT_HASHING_ALGORITHM = "rabbit_password_hashing_sha256"
HASHING_ALGORITHMS = (
    "rabbit_password_hashing_sha256",
    "rabbit_password_hashing_sha512",
    "rabbit_password_hashing_md5",
)
QUEUE_TYPES = ("classic", "quorum", "stream")
ACK_MODES = ("on-confirm", "on-publish", "no-ack")

# Exchanges every virtual host has; they cannot be declared or deleted.
DEFAULT_EXCHANGES = frozenset(
    ("", "amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match", "amq.rabbitmq.trace")
)
# Objects that belong to the broker or its plugins: never purged.
PROTECTED_GLOBAL_PARAMETERS = frozenset(("internal_cluster_id", "cluster_name", "cluster_tags"))
# Reserved names (amq.*) and what the federation plugin declares for its links.
RESERVED_PREFIX = "amq."
PLUGIN_PREFIX = "federation: "

# Policy keys by RabbitMQ version. The 3.10.8 and 4.0.5 sets were read from
# the brokers' registries (rabbit_registry:lookup_all(policy_validator), with
# the shovel and federation plugins enabled); in between, the release notes.
POLICY_KEYS = frozenset(
    (
        "alternate-exchange",
        "dead-letter-exchange",
        "dead-letter-routing-key",
        "dead-letter-strategy",
        "delivery-limit",
        "expires",
        "federation-upstream",
        "federation-upstream-pattern",
        "federation-upstream-set",
        "initial-cluster-size",
        "max-age",
        "max-in-memory-bytes",
        "max-in-memory-length",
        "max-length",
        "max-length-bytes",
        "message-ttl",
        "overflow",
        "queue-leader-locator",
        "queue-master-locator",
        "queue-mode",
        "queue-version",
        "stream-max-segment-size-bytes",
    )
)
# Classic queue mirroring: gone in RabbitMQ 4.0.
HA_POLICY_KEYS = frozenset(
    (
        "ha-mode",
        "ha-params",
        "ha-promote-on-failure",
        "ha-promote-on-shutdown",
        "ha-sync-batch-size",
        "ha-sync-mode",
    )
)
POLICY_KEYS_SINCE = (
    ((3, 12), frozenset(("consumer-timeout",))),
    ((3, 13), frozenset(("stream-filter-size-bytes", "target-group-size"))),
)
OPERATOR_POLICY_KEYS = frozenset(
    (
        "delivery-limit",
        "expires",
        "max-in-memory-bytes",
        "max-in-memory-length",
        "max-length",
        "max-length-bytes",
        "message-ttl",
    )
)
OPERATOR_POLICY_KEYS_SINCE = (
    ((3, 12), frozenset(("overflow", "queue-master-locator", "queue-version"))),
    ((3, 13), frozenset(("target-group-size",))),
)
APPLY_TO = ("all", "exchanges", "queues")
APPLY_TO_SINCE_3_12 = ("classic_queues", "quorum_queues", "streams")
VHOST_DEFAULT_QUEUE_TYPE_SINCE = (3, 11)
MIRRORING_REMOVED_IN = (4, 0)
# User tags the broker and its management plugin give a meaning to. RabbitMQ
# stores any tag without complaint, so a misspelt one ("admin") silently
# grants nothing; other tags need extra_user_tags.
USER_TAGS = frozenset(("administrator", "impersonator", "management", "monitoring", "policymaker"))
# Where a quorum queue's initial number of members is declared: the queue
# argument and the policy key. More than the cluster has nodes cannot be met.
QUEUE_GROUP_SIZE_ARGUMENT = "x-quorum-initial-group-size"
POLICY_GROUP_SIZE_KEY = "initial-cluster-size"
# rabbitmqctl export_definitions fails while a federation upstream set exists
# (rabbitmq/rabbitmq-server#11612; fixed for 4.0 and late 3.13 releases).
CLI_EXPORT_UPSTREAM_SET_FIXED_IN = (4, 0)

# scheme://user:password@ - greedy up to the last "@" of the authority, so a
# password with a stray "@" is masked whole.
_URI_CREDENTIALS = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/?#@]*):[^/?#]*@")
MASK = "********"


class DefinitionsError(ValueError):
    """Declared definitions that cannot be applied; one message per problem."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(DefinitionsError, self).__init__("; ".join(self.errors))


# --- small helpers -------------------------------------------------------------


def parse_version(text):
    """``"3.10.8"`` -> ``(3, 10, 8)``; None when there is nothing to parse."""
    if not text:
        return None
    match = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", str(text))
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def format_version(version):
    return ".".join(str(p) for p in version) if version else "unknown"


def mask_uri(uri):
    """``amqp://user:secret@host/vh`` -> ``amqp://user:********@host/vh``."""
    if not isinstance(uri, str):
        return uri
    return _URI_CREDENTIALS.sub(r"\1:" + MASK + "@", uri)


def _mask_uris(value):
    """A copy of a federation/shovel value with every URI masked."""
    if isinstance(value, dict):
        return dict((k, _mask_uris(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_mask_uris(v) for v in value]
    return mask_uri(value)


def _tags(value):
    """Tags as a sorted list, whether given as a list or "a,b"."""
    if value is None:
        return []
    if isinstance(value, str):
        return sorted(t.strip() for t in value.split(",") if t.strip())
    return sorted(str(t) for t in value)


def _one_or_list(value):
    """A URI option: one string stays a string, several become a list."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = [str(v) for v in value]
        if len(value) == 1:
            return value[0]
        return value
    return str(value)


def _canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _regex_error(pattern):
    """None when ``pattern`` compiles, else the reason.

    RabbitMQ uses Erlang's PCRE; Python's ``re`` accepts the same common
    syntax (anchors, classes, groups, alternation, quantifiers, (?i)).
    """
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    except TypeError:
        return "not a string"
    return None


def allowed_policy_keys(version, operator=False, extra=()):
    """Definition keys a (operator) policy may use on ``version``."""
    if operator:
        keys = set(OPERATOR_POLICY_KEYS)
        since = OPERATOR_POLICY_KEYS_SINCE
    else:
        keys = set(POLICY_KEYS)
        since = POLICY_KEYS_SINCE
        if version is None or version < MIRRORING_REMOVED_IN:
            keys |= HA_POLICY_KEYS
    for first, added in since:
        if version is None or version >= first:
            keys |= added
    keys |= set(extra or ())
    return keys


def allowed_apply_to(version):
    values = list(APPLY_TO)
    if version is None or version >= (3, 12):
        values += list(APPLY_TO_SINCE_3_12)
    return values


def user_tag_errors(where, tags, extra_tags=()):
    """One message per tag of ``tags`` that is neither built in nor in ``extra_tags``.

    ``where`` names the field, for example ``users[ops].tags``.
    """
    allowed = USER_TAGS | set(extra_tags or ())
    shown = ", ".join(sorted(USER_TAGS)) + "".join(", %s" % t for t in sorted(set(extra_tags or ()) - USER_TAGS))
    return [
        "%s: unknown tag %r; allowed: %s (or list it in extra_user_tags)" % (where, tag, shown)
        for tag in _tags(tags)
        if tag not in allowed
    ]


def password_length_error(where, password, min_length):
    """None when ``password`` is long enough, else a message without the password.

    ``min_length`` 0 (or less, or None) disables the check.
    """
    if password is None or not min_length or min_length <= 0 or len(password) >= min_length:
        return None
    return "%s: shorter than min_password_length (%d characters); the value is not shown" % (where, min_length)


def _is_group_size(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def group_size_error(where, value, cluster_nodes=None):
    """None when ``value`` is a quorum group size the cluster can satisfy, else why not.

    ``where`` names the field, for example
    ``queues[vhost=/, name=q1].arguments.x-quorum-initial-group-size``.
    ``cluster_nodes`` is the number of cluster nodes; None checks only that
    ``value`` is a whole number, 1 or more (no broker needed).
    """
    if not _is_group_size(value):
        return "%s: %r is not a group size; allowed: a whole number, 1 or more (at most the number of cluster" \
               " nodes)" % (where, value)
    if cluster_nodes is not None and value > cluster_nodes:
        return "%s: %d is larger than the cluster (%d %s); allowed: %s" % (
            where,
            value,
            cluster_nodes,
            "node" if cluster_nodes == 1 else "nodes",
            "1" if cluster_nodes == 1 else "1 to %d" % cluster_nodes,
        )
    return None


def _group_sizes(kind, value):
    """``(field, size)`` of the quorum group sizes a queue or (operator) policy value declares."""
    if kind == "queues":
        field, source = QUEUE_GROUP_SIZE_ARGUMENT, (value or {}).get("arguments")
        prefix = "arguments"
    else:
        field, source = POLICY_GROUP_SIZE_KEY, (value or {}).get("definition")
        prefix = "definition"
    if isinstance(source, dict) and field in source:
        return [("%s.%s" % (prefix, field), source[field])]
    return []


def needs_cluster_nodes(desired):
    """True when a declared (present) queue or policy asks for a quorum group
    size above 1: only then is the number of cluster nodes worth a request.

    Sizes that are not whole numbers of 1 or more are refused without it.
    """
    for kind in ("queues", "policies", "operator_policies"):
        for entry in desired.get(kind) or []:
            if entry.get("state", "present") == "absent":
                continue
            for _field, size in _group_sizes(kind, entry):
                if _is_group_size(size) and size > 1:
                    return True
    return False


# --- object identities -----------------------------------------------------------


def _ident(kind, key):
    """The text that names an object of ``kind`` (inside kind[...])."""
    if kind in ("vhosts", "users", "global_parameters"):
        return key[0]
    if kind == "permissions":
        return "user=%s, vhost=%s" % (key[1], key[0])
    if kind == "topic_permissions":
        return "user=%s, vhost=%s, exchange=%s" % (key[1], key[0], key[2])
    if kind == "vhost_limits":
        return "vhost=%s" % key[0]
    if kind == "user_limits":
        return "user=%s" % key[0]
    if kind == "bindings":
        vhost, source, dtype, destination, routing_key, arguments = key
        text = "vhost=%s, source=%s, destination=%s %s, routing_key=%s" % (
            vhost,
            source,
            dtype,
            destination,
            routing_key,
        )
        if arguments != "{}":
            text += ", arguments=%s" % arguments
        return text
    return "vhost=%s, name=%s" % key


def label(kind, key):
    return "%s[%s]" % (kind, _ident(kind, key))


# --- reading the broker state ------------------------------------------------------


def _vhost_meta(entry):
    meta = entry.get("metadata") or {}
    description = meta.get("description", entry.get("description"))
    tags = meta.get("tags", entry.get("tags"))
    dqt = meta.get("default_queue_type", entry.get("default_queue_type"))
    if dqt == "undefined":
        dqt = None
    return {
        "description": description,
        "tags": None if tags is None else _tags(tags),
        "default_queue_type": dqt,
    }


def _policy_value(entry):
    return {
        "pattern": entry.get("pattern"),
        "apply-to": entry.get("apply-to", "all"),
        "priority": entry.get("priority", 0),
        "definition": entry.get("definition") or {},
    }


def _queue_value(entry):
    arguments = dict(entry.get("arguments") or {})
    qtype = arguments.pop("x-queue-type", None) or "classic"
    return {
        "type": qtype,
        "durable": bool(entry.get("durable", True)),
        "auto_delete": bool(entry.get("auto_delete", False)),
        "arguments": arguments,
    }


def _exchange_value(entry):
    return {
        "type": entry.get("type", "direct"),
        "durable": bool(entry.get("durable", True)),
        "auto_delete": bool(entry.get("auto_delete", False)),
        "internal": bool(entry.get("internal", False)),
        "arguments": dict(entry.get("arguments") or {}),
    }


def _parameter_value(component, value):
    if component in ("federation-upstream", "shovel") and isinstance(value, dict):
        value = dict(value)
        for field in ("uri", "src-uri", "dest-uri"):
            if field in value:
                value[field] = _one_or_list(value[field])
    return value


def current_state(export, vhost_details=None):
    """The broker's objects by kind, as ``{kind: {key: canonical value}}``.

    ``vhost_details`` is GET /api/vhosts, used where the export lacks the
    virtual host metadata (RabbitMQ < 3.11).
    """
    state = dict((kind, {}) for kind in KINDS)
    details = dict((v.get("name"), v) for v in (vhost_details or []))
    for entry in export.get("vhosts") or []:
        name = entry["name"]
        source = entry
        if "metadata" not in entry and "description" not in entry and name in details:
            source = details[name]
        state["vhosts"][(name,)] = _vhost_meta(source)
    for entry in export.get("users") or []:
        state["users"][(entry["name"],)] = {
            "tags": _tags(entry.get("tags")),
            "password_hash": entry.get("password_hash", ""),
            "hashing_algorithm": entry.get("hashing_algorithm") or DEFAULT_HASHING_ALGORITHM,
        }
        limits = entry.get("limits") or {}
        if limits:
            state["user_limits"][(entry["name"],)] = dict(limits)
    for entry in export.get("permissions") or []:
        state["permissions"][(entry["vhost"], entry["user"])] = dict(
            (k, entry.get(k, "")) for k in ("configure", "write", "read")
        )
    for entry in export.get("topic_permissions") or []:
        state["topic_permissions"][(entry["vhost"], entry["user"], entry["exchange"])] = dict(
            (k, entry.get(k, "")) for k in ("write", "read")
        )
    for entry in export.get("policies") or []:
        state["policies"][(entry["vhost"], entry["name"])] = _policy_value(entry)
    components = {
        "operator_policy": "operator_policies",
        "vhost-limits": "vhost_limits",
        "federation-upstream": "federation_upstreams",
        "federation-upstream-set": "federation_upstream_sets",
        "shovel": "shovels",
    }
    for entry in export.get("parameters") or []:
        kind = components.get(entry.get("component"))
        if kind is None:
            continue
        value = entry.get("value")
        if kind == "operator_policies":
            state[kind][(entry["vhost"], entry["name"])] = _policy_value(value or {})
        elif kind == "vhost_limits":
            state[kind][(entry["vhost"],)] = dict(value or {})
        else:
            state[kind][(entry["vhost"], entry["name"])] = _parameter_value(entry["component"], value)
    for entry in export.get("global_parameters") or []:
        state["global_parameters"][(entry["name"],)] = entry.get("value")
    for entry in export.get("exchanges") or []:
        state["exchanges"][(entry["vhost"], entry["name"])] = _exchange_value(entry)
    for entry in export.get("queues") or []:
        state["queues"][(entry["vhost"], entry["name"])] = _queue_value(entry)
    for entry in export.get("bindings") or []:
        arguments = entry.get("arguments") or {}
        key = (
            entry["vhost"],
            entry["source"],
            entry.get("destination_type", "queue"),
            entry["destination"],
            entry.get("routing_key", ""),
            _canonical_json(arguments),
        )
        state["bindings"][key] = {"routing_key": key[4], "arguments": arguments}
    return state


def needs_vhost_details(export, desired):
    """True when the export lacks vhost metadata that declared vhosts manage."""
    entries = export.get("vhosts") or []
    if all("metadata" in v or "description" in v for v in entries):
        return False
    for want in desired.get("vhosts") or []:
        if want.get("state", "present") != "present":
            continue
        if want.get("description") is not None or want.get("tags") is not None:
            return True
    return False


# --- declared objects ----------------------------------------------------------------


class _Declared(object):
    """One declared object after normalisation."""

    def __init__(self, kind, key, state, value=None, options=None):
        self.kind = kind
        self.key = key
        self.state = state
        self.value = value
        self.options = options or {}

    @property
    def label(self):
        return label(self.kind, self.key)

    @property
    def present(self):
        return self.state == "present"


def _get(entry, field, default=None):
    value = entry.get(field)
    return default if value is None else value


def _limits(entry, fields):
    value = {}
    for field in fields:
        if entry.get(field) is not None:
            value[field.replace("_", "-")] = entry[field]
    return value


def _normalise(kind, entry, errors):
    """A module-style entry (snake_case) -> _Declared; problems go to ``errors``."""
    state = _get(entry, "state", "present")
    vhost = _get(entry, "vhost", "/")

    def need(decl, *fields):
        for field in fields:
            if entry.get(field) is None:
                errors.append("%s.%s: required when state is present" % (decl.label, field))

    if kind == "vhosts":
        decl = _Declared(kind, (entry["name"],), state)
        decl.value = {
            "description": entry.get("description"),
            "tags": None if entry.get("tags") is None else _tags(entry.get("tags")),
            "default_queue_type": entry.get("default_queue_type"),
        }
        return decl
    if kind == "users":
        decl = _Declared(kind, (entry["name"],), state)
        decl.options = {
            "password": entry.get("password"),
            "password_hash": entry.get("password_hash"),
            "hashing_algorithm": _get(entry, "hashing_algorithm", DEFAULT_HASHING_ALGORITHM),
            "update_password": _get(entry, "update_password", "always"),
        }
        decl.value = {"tags": None if entry.get("tags") is None else _tags(entry.get("tags"))}
        if decl.present and entry.get("password") is not None and entry.get("password_hash") is not None:
            errors.append("%s.password: password and password_hash are mutually exclusive" % decl.label)
        if decl.options["hashing_algorithm"] not in HASHING_ALGORITHMS:
            errors.append(
                "%s.hashing_algorithm: %r is not one of %s"
                % (decl.label, decl.options["hashing_algorithm"], ", ".join(HASHING_ALGORITHMS))
            )
        return decl
    if kind == "permissions":
        decl = _Declared(kind, (vhost, entry["user"]), state)
        decl.value = dict((k, _get(entry, k, ".*")) for k in ("configure", "write", "read"))
        if decl.present:
            for field, pattern in sorted(decl.value.items()):
                reason = _regex_error(pattern)
                if reason:
                    errors.append("%s.%s: invalid regular expression %r: %s" % (decl.label, field, pattern, reason))
        return decl
    if kind == "topic_permissions":
        decl = _Declared(kind, (vhost, entry["user"], _get(entry, "exchange", "amq.topic")), state)
        decl.value = dict((k, _get(entry, k, ".*")) for k in ("write", "read"))
        if decl.present:
            for field, pattern in sorted(decl.value.items()):
                reason = _regex_error(pattern)
                if reason:
                    errors.append("%s.%s: invalid regular expression %r: %s" % (decl.label, field, pattern, reason))
        return decl
    if kind in ("policies", "operator_policies"):
        decl = _Declared(kind, (vhost, entry["name"]), state)
        default_apply_to = "all" if kind == "policies" else "queues"
        decl.value = {
            "pattern": entry.get("pattern"),
            "apply-to": _get(entry, "apply_to", default_apply_to),
            "priority": _get(entry, "priority", 0),
            "definition": entry.get("definition"),
        }
        if decl.present:
            need(decl, "pattern", "definition")
            if entry.get("pattern") is not None:
                reason = _regex_error(entry["pattern"])
                if reason:
                    errors.append("%s.pattern: invalid regular expression %r: %s" % (decl.label, entry["pattern"], reason))
            if entry.get("definition") is not None and not entry["definition"]:
                errors.append("%s.definition: must not be empty" % decl.label)
        return decl
    if kind == "vhost_limits":
        decl = _Declared(kind, (vhost,), state)
        decl.value = _limits(entry, ("max_connections", "max_queues"))
        _check_limits(decl, errors)
        return decl
    if kind == "user_limits":
        decl = _Declared(kind, (entry["user"],), state)
        decl.value = _limits(entry, ("max_connections", "max_channels"))
        _check_limits(decl, errors)
        return decl
    if kind == "global_parameters":
        decl = _Declared(kind, (entry["name"],), state)
        decl.value = entry.get("value")
        if decl.present:
            need(decl, "value")
        return decl
    if kind == "federation_upstreams":
        decl = _Declared(kind, (vhost, entry["name"]), state)
        value = {"uri": _one_or_list(entry.get("uri"))}
        for field in (
            "exchange",
            "queue",
            "prefetch_count",
            "reconnect_delay",
            "ack_mode",
            "trust_user_id",
            "max_hops",
            "expires",
            "message_ttl",
        ):
            if entry.get(field) is not None:
                value[field.replace("_", "-")] = entry[field]
        value.update(entry.get("extra") or {})
        decl.value = value
        if decl.present:
            if not value["uri"]:
                errors.append("%s.uri: required when state is present" % decl.label)
            if value.get("ack-mode") is not None and value["ack-mode"] not in ACK_MODES:
                errors.append("%s.ack_mode: %r is not one of %s" % (decl.label, value["ack-mode"], ", ".join(ACK_MODES)))
        return decl
    if kind == "federation_upstream_sets":
        decl = _Declared(kind, (vhost, entry["name"]), state)
        members = []
        for member in entry.get("upstreams") or []:
            if isinstance(member, str):
                member = {"upstream": member}
            members.append(dict(member))
        decl.value = members
        if decl.present:
            if not members:
                errors.append("%s.upstreams: at least one upstream is required" % decl.label)
            for index, member in enumerate(members):
                if not member.get("upstream"):
                    errors.append("%s.upstreams[%d]: the upstream name is missing" % (decl.label, index))
        return decl
    if kind == "shovels":
        decl = _Declared(kind, (vhost, entry["name"]), state)
        value = {"src-protocol": "amqp091", "dest-protocol": "amqp091"}
        for field in (
            "src_uri",
            "src_queue",
            "src_exchange",
            "src_exchange_key",
            "src_prefetch_count",
            "src_delete_after",
            "dest_uri",
            "dest_queue",
            "dest_exchange",
            "dest_exchange_key",
            "dest_add_forward_headers",
            "dest_add_timestamp_header",
            "ack_mode",
            "reconnect_delay",
        ):
            if entry.get(field) is not None:
                value[field.replace("_", "-")] = entry[field]
        for field in ("src-uri", "dest-uri"):
            if field in value:
                value[field] = _one_or_list(value[field])
        value.update(entry.get("extra") or {})
        decl.value = value
        if decl.present:
            _check_shovel(decl, value, errors)
        return decl
    if kind == "exchanges":
        decl = _Declared(kind, (vhost, entry["name"]), state)
        decl.value = {
            "type": _get(entry, "type", "direct"),
            "durable": bool(_get(entry, "durable", True)),
            "auto_delete": bool(_get(entry, "auto_delete", False)),
            "internal": bool(_get(entry, "internal", False)),
            "arguments": dict(entry.get("arguments") or {}),
        }
        if entry["name"] in DEFAULT_EXCHANGES or entry["name"].startswith(RESERVED_PREFIX):
            errors.append("%s.name: %r is reserved (the amq. prefix and the default exchange belong to the broker)"
                          % (decl.label, entry["name"]))
        return decl
    if kind == "queues":
        decl = _Declared(kind, (vhost, entry["name"]), state)
        arguments = dict(entry.get("arguments") or {})
        from_arguments = arguments.pop("x-queue-type", None)
        qtype = entry.get("type")
        if qtype is not None and from_arguments is not None and qtype != from_arguments:
            errors.append(
                "%s.type: %r contradicts arguments x-queue-type %r" % (decl.label, qtype, from_arguments)
            )
        decl.value = {
            "type": qtype or from_arguments,  # None: the vhost's default queue type
            "durable": bool(_get(entry, "durable", True)),
            "auto_delete": bool(_get(entry, "auto_delete", False)),
            "arguments": arguments,
        }
        if decl.present:
            if decl.value["type"] is not None and decl.value["type"] not in QUEUE_TYPES:
                errors.append("%s.type: %r is not one of %s" % (decl.label, decl.value["type"], ", ".join(QUEUE_TYPES)))
            if decl.value["type"] in ("quorum", "stream"):
                if not decl.value["durable"]:
                    errors.append("%s.durable: %s queues are always durable" % (decl.label, decl.value["type"]))
                if decl.value["auto_delete"]:
                    errors.append("%s.auto_delete: %s queues cannot be auto-delete" % (decl.label, decl.value["type"]))
        if entry["name"].startswith(RESERVED_PREFIX):
            errors.append("%s.name: the amq. prefix is reserved for the broker" % decl.label)
        return decl
    if kind == "bindings":
        arguments = dict(entry.get("arguments") or {})
        key = (
            vhost,
            entry["source"],
            _get(entry, "destination_type", "queue"),
            entry["destination"],
            _get(entry, "routing_key", ""),
            _canonical_json(arguments),
        )
        decl = _Declared(kind, key, state)
        decl.value = {"routing_key": key[4], "arguments": arguments}
        if decl.present and entry["source"] == "":
            errors.append("%s.source: the default exchange cannot be bound explicitly" % decl.label)
        if key[2] not in ("queue", "exchange"):
            errors.append("%s.destination_type: %r is not one of queue, exchange" % (decl.label, key[2]))
        return decl
    raise ValueError("unknown kind %r" % kind)


def _check_limits(decl, errors):
    if not decl.present:
        return
    for field, value in sorted(decl.value.items()):
        if not isinstance(value, int) or isinstance(value, bool) or value < -1:
            errors.append(
                "%s.%s: %r is not a limit (a whole number, 0 or more; -1 for no limit)"
                % (decl.label, field.replace("-", "_"), value)
            )


def _check_shovel(decl, value, errors):
    if not value.get("src-uri"):
        errors.append("%s.src_uri: required when state is present" % decl.label)
    if ("src-queue" in value) == ("src-exchange" in value):
        errors.append("%s.src_queue: give exactly one of src_queue and src_exchange" % decl.label)
    if "src-exchange-key" in value and "src-exchange" not in value:
        errors.append("%s.src_exchange_key: only meaningful with src_exchange" % decl.label)
    if not value.get("dest-uri"):
        errors.append("%s.dest_uri: a shovel needs a destination URI" % decl.label)
    if "dest-queue" not in value and "dest-exchange" not in value:
        errors.append("%s.dest_queue: a shovel needs a destination: dest_queue or dest_exchange" % decl.label)
    if "dest-queue" in value and "dest-exchange" in value:
        errors.append("%s.dest_queue: give only one of dest_queue and dest_exchange" % decl.label)
    if value.get("ack-mode") is not None and value["ack-mode"] not in ACK_MODES:
        errors.append("%s.ack_mode: %r is not one of %s" % (decl.label, value["ack-mode"], ", ".join(ACK_MODES)))
    delete_after = value.get("src-delete-after")
    if delete_after is not None:
        if isinstance(delete_after, str) and delete_after.isdigit():
            value["src-delete-after"] = delete_after = int(delete_after)
        valid = delete_after in ("never", "queue-length") or (
            isinstance(delete_after, int) and not isinstance(delete_after, bool) and delete_after >= 0
        )
        if not valid:
            errors.append(
                "%s.src_delete_after: %r is not never, queue-length or a number of messages"
                % (decl.label, delete_after)
            )


# The fields that identify an object of each kind (duplicates share them).
IDENTITY = {
    "vhosts": "name",
    "users": "name",
    "permissions": "user and vhost",
    "topic_permissions": "user, vhost and exchange",
    "vhost_limits": "vhost",
    "user_limits": "user",
    "global_parameters": "name",
    "bindings": "vhost, source, destination_type, destination, routing_key and arguments",
}


def normalise(desired, errors):
    """``{kind: [entries]}`` -> ``{kind: {key: _Declared}}``; duplicates are errors."""
    result = {}
    for kind in KINDS:
        declared = {}
        positions = {}
        for index, entry in enumerate(desired.get(kind) or []):
            decl = _normalise(kind, entry, errors)
            if decl.key in declared:
                errors.append(
                    "%s: declared more than once (%s[%d] and %s[%d] have the same %s)"
                    % (decl.label, kind, positions[decl.key], kind, index, IDENTITY.get(kind, "vhost and name"))
                )
                continue
            declared[decl.key] = decl
            positions[decl.key] = index
        result[kind] = declared
    return result


# --- the plan ------------------------------------------------------------------------


class Plan(object):
    """What a run does: one import, a few targeted requests, and its report."""

    def __init__(self, version):
        self.version = version
        self.document = {}
        self.pre_requests = []  # before the import
        self.post_requests = []  # after the import: (order, method, path, body)
        self.changes = []
        self.before = {}
        self.after = {}
        self.warnings = []

    def add_import(self, section, entry):
        self.document.setdefault(section, []).append(entry)

    def record(self, kind, key, action, before=None, after=None):
        self.changes.append({"kind": kind, "object": label(kind, key), "action": action})
        ident = _ident(kind, key)
        if before is not None:
            self.before.setdefault(kind, {})[ident] = before
        if after is not None:
            self.after.setdefault(kind, {})[ident] = after

    def delete(self, kind, method, path, body=None):
        self.post_requests.append((DELETE_ORDER.index(kind), method, path, body))

    @property
    def changed(self):
        return bool(self.changes)

    def requests(self):
        """Every write request, in the order apply() sends them."""
        result = []
        for method, path, body in self.pre_requests:
            if method == "DELETE_IF_EMPTY":
                result.append(("GET", api_path("queues", *path), None))
                result.append(("DELETE", api_path("queues", *path), None))
            else:
                result.append((method, path, body))
        if self.document:
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


class _Planner(object):
    def __init__(self, export, desired, vhost_details, purge, protected_users, recreate_queues,
                 extra_policy_keys, hasher, extra_user_tags=(), min_password_length=0, cluster_nodes=None):
        self.version = parse_version(export.get("rabbitmq_version") or export.get("rabbit_version"))
        self.current = current_state(export, vhost_details)
        self.purge = dict((k, bool(v)) for k, v in (purge or {}).items())
        self.protected_users = set(protected_users or ())
        self.recreate_queues = recreate_queues
        self.extra_policy_keys = extra_policy_keys or ()
        self.hasher = hasher
        self.extra_user_tags = extra_user_tags or ()
        self.min_password_length = min_password_length or 0
        self.cluster_nodes = cluster_nodes
        self.errors = []
        self.declared = normalise(desired, self.errors)
        self.plan = Plan(self.version)

    # -- what will exist once the run is over --

    def _gone(self, kind):
        """Keys of ``kind`` deleted by this run (declared absent or purged)."""
        gone = set()
        declared = self.declared[kind]
        for key in self.current[kind]:
            decl = declared.get(key)
            if decl is not None:
                if not decl.present:
                    gone.add(key)
            elif self.purge.get(kind) and not self._protected(kind, key):
                gone.add(key)
        return gone

    def _final(self, kind):
        keys = set(self.current[kind]) - self._gone(kind)
        keys |= set(k for k, d in self.declared[kind].items() if d.present)
        return keys

    def _protected(self, kind, key):
        if kind == "users":
            return key[0] in self.protected_users
        if kind in ("permissions", "topic_permissions"):
            return key[1] in self.protected_users
        if kind == "user_limits":
            return key[0] in self.protected_users
        if kind == "global_parameters":
            return key[0] in PROTECTED_GLOBAL_PARAMETERS
        if kind in ("exchanges", "queues"):
            return key[1] in DEFAULT_EXCHANGES or key[1].startswith((RESERVED_PREFIX, PLUGIN_PREFIX))
        if kind == "bindings":
            # Bindings of amq.* exchanges are the operator's; the federation
            # plugin's own are not.
            return key[1].startswith(PLUGIN_PREFIX) or key[3].startswith(PLUGIN_PREFIX)
        return False

    # -- validation that needs the broker state --

    def validate_references(self):
        vhosts = set(k[0] for k in self._final("vhosts"))
        gone_vhosts = set(k[0] for k in self._gone("vhosts"))
        users = set(k[0] for k in self._final("users"))
        gone_users = set(k[0] for k in self._gone("users"))
        for kind in KINDS:
            for key, decl in sorted(self.declared[kind].items()):
                if not decl.present:
                    continue
                if kind in VHOST_SCOPED:
                    vhost = key[0]
                    if vhost in gone_vhosts:
                        self.errors.append("%s.vhost: virtual host %r is deleted by this run" % (decl.label, vhost))
                    elif vhost not in vhosts:
                        self.errors.append(
                            "%s.vhost: virtual host %r is neither declared nor existing" % (decl.label, vhost)
                        )
                if kind in USER_SCOPED:
                    user = _user_of(kind, key)
                    if user in gone_users:
                        self.errors.append("%s.user: user %r is deleted by this run" % (decl.label, user))
                    elif user not in users:
                        self.errors.append("%s.user: user %r is neither declared nor existing" % (decl.label, user))
        for key, decl in sorted(self.declared["users"].items()):
            opts = decl.options
            if decl.present and key not in self.current["users"]:
                if opts["password"] is None and opts["password_hash"] is None:
                    self.errors.append("%s.password: a new user needs password or password_hash" % decl.label)
        self._validate_bindings(vhosts)
        upstreams = self._final("federation_upstreams")
        for key, decl in sorted(self.declared["federation_upstream_sets"].items()):
            if not decl.present:
                continue
            for index, member in enumerate(decl.value):
                name = member.get("upstream")
                if name and (key[0], name) not in upstreams:
                    self.errors.append(
                        "%s.upstreams[%d]: upstream %r is neither declared nor existing in virtual host %r"
                        % (decl.label, index, name, key[0])
                    )

    def _validate_bindings(self, vhosts):
        exchanges = self._final("exchanges")
        queues = self._final("queues")
        for key, decl in sorted(self.declared["bindings"].items()):
            if not decl.present or key[0] not in vhosts:
                continue
            vhost, source, dtype, destination = key[:4]
            if source and source not in DEFAULT_EXCHANGES and (vhost, source) not in exchanges:
                self.errors.append(
                    "%s.source: exchange %r is neither declared nor existing in virtual host %r"
                    % (decl.label, source, vhost)
                )
            if dtype == "queue":
                known = (vhost, destination) in queues
            else:
                known = destination in DEFAULT_EXCHANGES or (vhost, destination) in exchanges
            if not known:
                self.errors.append(
                    "%s.destination: %s %r is neither declared nor existing in virtual host %r"
                    % (decl.label, dtype, destination, vhost)
                )

    def validate_version_rules(self):
        version = self.version
        shown = format_version(version)
        for key, decl in sorted(self.declared["vhosts"].items()):
            if decl.present and decl.value["default_queue_type"] is not None:
                if version is not None and version < VHOST_DEFAULT_QUEUE_TYPE_SINCE:
                    self.errors.append(
                        "%s.default_queue_type: needs RabbitMQ 3.11 or later (the broker runs %s)"
                        % (decl.label, shown)
                    )
                elif decl.value["default_queue_type"] not in QUEUE_TYPES:
                    self.errors.append(
                        "%s.default_queue_type: %r is not one of %s"
                        % (decl.label, decl.value["default_queue_type"], ", ".join(QUEUE_TYPES))
                    )
        for kind in ("policies", "operator_policies"):
            operator = kind == "operator_policies"
            keys = allowed_policy_keys(version, operator=operator, extra=self.extra_policy_keys)
            apply_to = allowed_apply_to(version)
            for key, decl in sorted(self.declared[kind].items()):
                if not decl.present:
                    continue
                if decl.value["apply-to"] not in apply_to:
                    self.errors.append(
                        "%s.apply_to: %r is not one of %s (RabbitMQ %s)"
                        % (decl.label, decl.value["apply-to"], ", ".join(apply_to), shown)
                    )
                for name in sorted(decl.value["definition"] or {}):
                    if name in keys:
                        continue
                    if name in HA_POLICY_KEYS and not operator:
                        self.errors.append(
                            "%s.definition: %r is not available on RabbitMQ %s: classic queue mirroring was"
                            " removed in 4.0 (use quorum queues)" % (decl.label, name, shown)
                        )
                    else:
                        self.errors.append(
                            "%s.definition: %r is not a known %s key on RabbitMQ %s"
                            % (decl.label, name, "operator policy" if operator else "policy", shown)
                        )

    def validate_users(self):
        """Tags the broker knows (or extra_user_tags), plain passwords long enough."""
        for key, decl in sorted(self.declared["users"].items()):
            if not decl.present:
                continue
            if decl.value["tags"] is not None:
                self.errors.extend(user_tag_errors(decl.label + ".tags", decl.value["tags"], self.extra_user_tags))
            error = password_length_error(decl.label + ".password", decl.options["password"],
                                          self.min_password_length)
            if error:
                self.errors.append(error)

    def validate_group_sizes(self):
        """Quorum initial group sizes: whole numbers, 1 to the number of cluster nodes."""
        for kind in ("policies", "operator_policies", "queues"):
            for key, decl in sorted(self.declared[kind].items()):
                if not decl.present:
                    continue
                for field, size in _group_sizes(kind, decl.value):
                    error = group_size_error("%s.%s" % (decl.label, field), size, self.cluster_nodes)
                    if error:
                        self.errors.append(error)

    def validate_immutable(self):
        """Exchanges and queues RabbitMQ cannot change in place."""
        for key, decl in sorted(self.declared["exchanges"].items()):
            have = self.current["exchanges"].get(key)
            if decl.present and have is not None and have != decl.value:
                self.errors.append(
                    "%s: cannot change %s: RabbitMQ cannot change an exchange in place; delete it first"
                    " (state: absent), then declare it again" % (decl.label, _differences(have, decl.value))
                )
        if self.recreate_queues:
            return
        for key, decl in sorted(self.declared["queues"].items()):
            have = self.current["queues"].get(key)
            if decl.present and have is not None and have != self._queue_want(key, decl):
                self.errors.append(
                    "%s: cannot change %s: RabbitMQ cannot change a queue's type, durability or arguments"
                    " in place (use a policy for the mutable ones); set recreate_queues to delete and"
                    " re-create it while it is empty" % (decl.label, _differences(have, self._queue_want(key, decl)))
                )

    # -- the difference, kind by kind --

    def run(self):
        self.validate_version_rules()
        self.validate_users()
        self.validate_group_sizes()
        self.validate_references()
        self.validate_immutable()
        if self.errors:
            raise DefinitionsError(self.errors)
        self.gone_vhosts = set(k[0] for k in self._gone("vhosts"))
        self.gone_users = set(k[0] for k in self._gone("users"))
        self.user_entries = {}
        self.recreated_queues = set()
        for kind in KINDS:
            getattr(self, "_plan_" + kind)()
        if self.errors:  # found while diffing (a stored hash of unknown algorithm)
            raise DefinitionsError(self.errors)
        for name in sorted(self.user_entries):
            self.plan.add_import("users", self.user_entries[name])
        self._warn_cli_export()
        return self.plan

    def _warn_cli_export(self):
        if self.version is None or self.version >= CLI_EXPORT_UPSTREAM_SET_FIXED_IN:
            return
        if self._final("federation_upstream_sets"):
            self.plan.warnings.append(
                "RabbitMQ %s: while a federation upstream set exists, 'rabbitmqctl export_definitions' fails"
                " (rabbitmq/rabbitmq-server#11612, fixed in 4.0), and so does every tool that reads it, such as"
                " mqops.rabbitmq.rabbitmq_cli_users; the HTTP API is not affected. Prefer the"
                " federation-upstream policy key on this version." % format_version(self.version)
            )

    def _pairs(self, kind):
        """(key, declared or None, current or None) for every object this run touches."""
        declared = self.declared[kind]
        current = self.current[kind]
        for key in sorted(set(declared) | set(current)):
            decl = declared.get(key)
            have = current.get(key)
            if decl is None and not (self.purge.get(kind) and not self._protected(kind, key)):
                continue  # not declared, not purged: left alone
            if decl is None or not decl.present:
                if have is None:
                    continue  # absent already
                if kind in VHOST_SCOPED and key[0] in self.gone_vhosts:
                    continue  # goes with its virtual host
                if kind in USER_SCOPED and _user_of(kind, key) in self.gone_users:
                    continue  # goes with its user
            yield key, decl, have

    def _simple(self, kind, section, entry, delete_path, view=lambda v: copy.deepcopy(v)):
        """Kinds whose import replaces the whole object: compare, import, delete."""
        for key, decl, have in self._pairs(kind):
            if decl is None or not decl.present:
                self.plan.record(kind, key, "delete", before=view(have))
                self.plan.delete(kind, "DELETE", delete_path(key))
                continue
            want = decl.value
            if have == want:
                continue
            self.plan.add_import(section, entry(key, want))
            if have is None:
                self.plan.record(kind, key, "create", after=view(want))
            else:
                self.plan.record(kind, key, "update", before=view(have), after=view(want))

    def _plan_vhosts(self):
        for key, decl, have in self._pairs("vhosts"):
            name = key[0]
            if decl is None or not decl.present:
                self.plan.record("vhosts", key, "delete", before=_clean(have))
                self.plan.delete("vhosts", "DELETE", api_path("vhosts", name))
                continue
            want = dict(have or {"description": None, "tags": None, "default_queue_type": None})
            for field, value in decl.value.items():
                if value is not None:
                    want[field] = value
            if have is not None and want == have:
                continue
            entry = {"name": name}
            metadata = {}
            if want["description"] is not None:
                entry["description"] = metadata["description"] = want["description"]
            if want["tags"] is not None:
                entry["tags"] = metadata["tags"] = list(want["tags"])
            if want["default_queue_type"] is not None:
                entry["default_queue_type"] = metadata["default_queue_type"] = want["default_queue_type"]
            if metadata:
                entry["metadata"] = metadata
            self.plan.add_import("vhosts", entry)
            if have is None:
                self.plan.record("vhosts", key, "create", after=_clean(want))
            else:
                self.plan.record("vhosts", key, "update", before=_clean(have), after=_clean(want))

    def _plan_users(self):
        deleted = []
        for key, decl, have in self._pairs("users"):
            name = key[0]
            if decl is None or not decl.present:
                self.plan.record("users", key, "delete", before={"tags": have["tags"]})
                deleted.append(name)
                continue
            opts = decl.options
            algorithm = opts["hashing_algorithm"]
            password_changed = False
            if have is None:
                if opts["password_hash"] is not None:
                    new_hash = opts["password_hash"]
                elif opts["password"] is not None:
                    new_hash = self.hasher(opts["password"], algorithm)
                else:  # refused by validate_references()
                    raise AssertionError("new user %s without a password" % name)
                entry = {"name": name, "password_hash": new_hash, "hashing_algorithm": algorithm}
            else:
                entry = {
                    "name": name,
                    "password_hash": have["password_hash"],
                    "hashing_algorithm": have["hashing_algorithm"],
                }
                if opts["update_password"] == "always":
                    if opts["password_hash"] is not None:
                        if opts["password_hash"] != have["password_hash"] or algorithm != have["hashing_algorithm"]:
                            entry["password_hash"] = opts["password_hash"]
                            entry["hashing_algorithm"] = algorithm
                            password_changed = True
                    elif opts["password"] is not None:
                        try:
                            same = password_matches(opts["password"], have["password_hash"], have["hashing_algorithm"])
                        except UnsupportedHashingAlgorithm as exc:
                            self.errors.append("%s.password: %s" % (decl.label, exc))
                            continue
                        if not same:
                            entry["password_hash"] = self.hasher(opts["password"], algorithm)
                            entry["hashing_algorithm"] = algorithm
                            password_changed = True
            tags = decl.value["tags"]
            if tags is None:
                tags = have["tags"] if have is not None else []
            entry["tags"] = list(tags)
            tags_changed = have is not None and have["tags"] != tags
            if have is None:
                self.user_entries[name] = entry
                self.plan.record("users", key, "create", after={"tags": list(tags), "password": "(set)"})
            elif password_changed or tags_changed:
                self.user_entries[name] = entry
                before = {"tags": have["tags"]}
                after = {"tags": list(tags)}
                if password_changed:
                    before["password"] = "(previous)"
                    after["password"] = "(changed)"
                self.plan.record("users", key, "update", before=before, after=after)
        if deleted:
            # One request for every user (POST /api/users/bulk-delete, 3.8+).
            self.plan.delete("users", "POST", api_path("users", "bulk-delete"), {"users": deleted})

    def _user_entry(self, name):
        """The import entry of ``name`` (an existing user, unchanged otherwise)."""
        if name not in self.user_entries:
            have = self.current["users"][(name,)]
            self.user_entries[name] = {
                "name": name,
                "password_hash": have["password_hash"],
                "hashing_algorithm": have["hashing_algorithm"],
                "tags": list(have["tags"]),
            }
        return self.user_entries[name]

    def _plan_permissions(self):
        self._simple(
            "permissions",
            "permissions",
            lambda key, want: dict(user=key[1], vhost=key[0], **want),
            lambda key: api_path("permissions", key[0], key[1]),
        )

    def _plan_topic_permissions(self):
        # The API clears a user's topic permissions per virtual host, all
        # exchanges at once: clear before the import, re-import what stays.
        cleared = set()
        for key, decl, have in self._pairs("topic_permissions"):
            if decl is None or not decl.present:
                self.plan.record("topic_permissions", key, "delete", before=dict(have))
                cleared.add((key[0], key[1]))
                continue
            if have == decl.value:
                continue
            self.plan.add_import("topic_permissions", dict(user=key[1], vhost=key[0], exchange=key[2], **decl.value))
            action = "create" if have is None else "update"
            self.plan.record(
                "topic_permissions", key, action, before=None if have is None else dict(have), after=dict(decl.value)
            )
        for vhost, user in sorted(cleared):
            self.plan.pre_requests.append(("DELETE", api_path("topic-permissions", vhost, user), None))
            for key, have in sorted(self.current["topic_permissions"].items()):
                if key[:2] != (vhost, user):
                    continue
                decl = self.declared["topic_permissions"].get(key)
                if decl is not None and decl.present:
                    if have != decl.value:
                        continue  # already in the import
                    value = decl.value
                elif decl is None and not self.purge.get("topic_permissions"):
                    value = have
                else:
                    continue
                self.plan.add_import("topic_permissions", dict(user=user, vhost=vhost, exchange=key[2], **value))

    def _plan_policies(self):
        self._simple(
            "policies",
            "policies",
            lambda key, want: dict(vhost=key[0], name=key[1], **want),
            lambda key: api_path("policies", key[0], key[1]),
        )

    def _plan_operator_policies(self):
        self._simple(
            "operator_policies",
            "parameters",
            lambda key, want: dict(vhost=key[0], component="operator_policy", name=key[1], value=want),
            lambda key: api_path("operator-policies", key[0], key[1]),
        )

    def _plan_vhost_limits(self):
        for key, decl, have in self._pairs("vhost_limits"):
            if decl is None or not decl.present or not decl.value:
                if have is not None:
                    self.plan.record("vhost_limits", key, "delete", before=dict(have))
                    self.plan.delete("vhost_limits", "DELETE", api_path("parameters", "vhost-limits", key[0], "limits"))
                continue
            if have == decl.value:
                continue
            self.plan.add_import(
                "parameters", {"vhost": key[0], "component": "vhost-limits", "name": "limits", "value": decl.value}
            )
            self.plan.record(
                "vhost_limits",
                key,
                "create" if have is None else "update",
                before=None if have is None else dict(have),
                after=dict(decl.value),
            )

    def _plan_user_limits(self):
        # Imported user limits merge with the existing ones: set through the
        # user's import entry, remove one by one.
        for key, decl, have in self._pairs("user_limits"):
            user = key[0]
            want = decl.value if decl is not None and decl.present else {}
            have = have or {}
            if want == have:
                continue
            to_set = dict((k, v) for k, v in want.items() if have.get(k) != v)
            if to_set:
                self._user_entry(user)["limits"] = to_set
            for name in sorted(set(have) - set(want)):
                self.plan.delete("user_limits", "DELETE", api_path("user-limits", user, name))
            if not want:
                action = "delete"
            elif not have:
                action = "create"
            else:
                action = "update"
            self.plan.record(
                "user_limits", key, action, before=dict(have) if have else None, after=dict(want) if want else None
            )

    def _plan_global_parameters(self):
        self._simple(
            "global_parameters",
            "global_parameters",
            lambda key, want: {"name": key[0], "value": want},
            lambda key: api_path("global-parameters", key[0]),
        )

    def _plan_federation_upstreams(self):
        self._parameters("federation_upstreams", "federation-upstream")

    def _plan_federation_upstream_sets(self):
        self._parameters("federation_upstream_sets", "federation-upstream-set")

    def _plan_shovels(self):
        self._parameters("shovels", "shovel")

    def _parameters(self, kind, component):
        self._simple(
            kind,
            "parameters",
            lambda key, want: {"vhost": key[0], "component": component, "name": key[1], "value": want},
            lambda key: api_path("parameters", component, key[0], key[1]),
            view=_mask_uris,
        )

    def _plan_exchanges(self):
        for key, decl, have in self._pairs("exchanges"):
            if decl is None or not decl.present:
                self.plan.record("exchanges", key, "delete", before=copy.deepcopy(have))
                self.plan.delete("exchanges", "DELETE", api_path("exchanges", key[0], key[1]))
                continue
            want = decl.value
            if have is not None:
                continue  # equal (validate_immutable() refused any difference)
            self.plan.add_import("exchanges", dict(name=key[1], vhost=key[0], **copy.deepcopy(want)))
            self.plan.record("exchanges", key, "create", after=copy.deepcopy(want))

    def _vhost_default_queue_type(self, vhost):
        decl = self.declared["vhosts"].get((vhost,))
        if decl is not None and decl.present and decl.value["default_queue_type"]:
            return decl.value["default_queue_type"]
        have = self.current["vhosts"].get((vhost,))
        if have is not None and have.get("default_queue_type"):
            return have["default_queue_type"]
        return "classic"

    def _queue_want(self, key, decl):
        want = copy.deepcopy(decl.value)
        if want["type"] is None:
            want["type"] = self._vhost_default_queue_type(key[0])
        return want

    def _plan_queues(self):
        for key, decl, have in self._pairs("queues"):
            if decl is None or not decl.present:
                self.plan.record("queues", key, "delete", before=copy.deepcopy(have))
                self.plan.delete("queues", "DELETE", api_path("queues", key[0], key[1]))
                continue
            want = self._queue_want(key, decl)
            if have == want:
                continue
            entry = {
                "name": key[1],
                "vhost": key[0],
                "durable": want["durable"],
                "auto_delete": want["auto_delete"],
                "arguments": dict(want["arguments"], **{"x-queue-type": want["type"]}),
            }
            if have is None:
                self.plan.add_import("queues", entry)
                self.plan.record("queues", key, "create", after=want)
                continue
            # Differs and recreate_queues is set (validate_immutable()).
            # Deleted only if empty, then imported again with its bindings.
            # The broker checks a classic queue atomically (if-empty); it
            # refuses if-empty for quorum queues and streams, whose message
            # count apply() reads just before deleting.
            if have["type"] == "classic":
                self.plan.pre_requests.append(
                    ("DELETE", api_path("queues", key[0], key[1], **{"if-empty": "true"}), None)
                )
            else:
                self.plan.pre_requests.append(("DELETE_IF_EMPTY", key, None))
            self.plan.add_import("queues", entry)
            self.recreated_queues.add(key)
            self.plan.record("queues", key, "recreate", before=copy.deepcopy(have), after=want)

    def _plan_bindings(self):
        gone = self._gone("bindings")
        gone_exchanges = self._gone("exchanges")
        gone_queues = self._gone("queues")
        for key, decl, have in self._pairs("bindings"):
            if decl is None or not decl.present:
                vhost, source, dtype, destination = key[:4]
                ends = [(vhost, source) in gone_exchanges]
                ends.append((vhost, destination) in (gone_queues if dtype == "queue" else gone_exchanges))
                if any(ends):
                    continue  # goes with its exchange or queue
                self.plan.record("bindings", key, "delete", before=copy.deepcopy(have))
                # The API names a binding by a properties key the export
                # lacks: apply() looks it up, then deletes.
                self.plan.delete("bindings", "DELETE_BINDING", key, None)
                continue
            if have is None:
                self.plan.add_import("bindings", _binding_entry(key))
                self.plan.record("bindings", key, "create", after=copy.deepcopy(decl.value))
        # Bindings of a re-created queue go with it: import them again.
        for key in sorted(self.current["bindings"]):
            if key[2] == "queue" and (key[0], key[3]) in self.recreated_queues and key not in gone:
                self.plan.add_import("bindings", _binding_entry(key))


def _user_of(kind, key):
    return key[1] if kind in ("permissions", "topic_permissions") else key[0]


def _binding_entry(key):
    return {
        "vhost": key[0],
        "source": key[1],
        "destination_type": key[2],
        "destination": key[3],
        "routing_key": key[4],
        "arguments": json.loads(key[5]),
    }


def _clean(value):
    return dict((k, v) for k, v in (value or {}).items() if v is not None)


def _differences(have, want):
    return ", ".join(
        "%s (broker: %s, declared: %s)" % (field, _show(have[field]), _show(want[field]))
        for field in sorted(want)
        if have.get(field) != want[field]
    )


def _show(value):
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else str(value)


def plan(export, desired, vhost_details=None, purge=None, protected_users=(), recreate_queues=False,
         extra_policy_keys=(), hasher=hash_password, extra_user_tags=(), min_password_length=0,
         cluster_nodes=None):
    """Compare ``export`` (GET /api/definitions) with ``desired`` ({kind: [entries]}).

    ``extra_user_tags``: user tags accepted besides the built-in ones.
    ``min_password_length``: shortest plain password accepted (0: any).
    ``cluster_nodes``: number of cluster nodes (read_cluster_nodes()), to
    check quorum initial group sizes against; None checks only their form.

    Returns a Plan; raises DefinitionsError (every problem found, each naming
    the object and the field) before anything would be changed.
    """
    planner = _Planner(export, desired, vhost_details, purge, protected_users, recreate_queues,
                       extra_policy_keys, hasher, extra_user_tags, min_password_length, cluster_nodes)
    return planner.run()


# --- talking to the broker ---------------------------------------------------------------


def read_state(api, desired):
    """GET /api/definitions (and /api/vhosts when the export lacks metadata)."""
    export = api.get(api_path("definitions"))
    details = None
    if needs_vhost_details(export, desired):
        details = api.get(api_path("vhosts") + "?columns=name,description,tags,metadata")
    return export, details


def read_cluster_nodes(api, desired):
    """Number of cluster nodes (GET /api/nodes?columns=name), or None when
    nothing declared needs it (see needs_cluster_nodes())."""
    if not needs_cluster_nodes(desired):
        return None
    path = api_path("nodes", columns="name")
    nodes = api.get(path)
    if not isinstance(nodes, list) or not nodes:
        raise ApiError("GET", path, 200, "the answer is not a list of nodes")
    return len(nodes)


def apply(api, the_plan):
    """Send the plan's requests: pre-import deletions, the import, deletions."""
    for method, path, body in the_plan.pre_requests:
        if method == "DELETE_IF_EMPTY":
            _delete_if_empty(api, path)
        else:
            api.request(method, path, body)
    if the_plan.document:
        api.post(api_path("definitions"), the_plan.document)
    for _order, method, path, body in sorted(the_plan.post_requests, key=lambda r: r[0]):
        if method == "DELETE_BINDING":
            _delete_binding(api, path)
            continue
        try:
            api.request(method, path, body)
        except ApiError as exc:
            if exc.status != 404:  # already gone
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
