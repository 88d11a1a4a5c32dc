# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Blue-green migration: turn a blue cluster's export into what green declares.

Pure logic (no broker): the ``migration_plan`` and ``migration_report``
filters of the ``rabbitmq_migrate`` role call it, the unit tests too.

``plan(blue, green, settings)`` reads the two ``GET /api/definitions``
exports and returns the objects to declare on green in the option format of
the ``rabbitmq_definitions`` module (users keep their salted hashes), one
dynamic shovel per queue (declared on green, reading from blue), the
conversions it made (classic mirroring dropped, mirrored queues declared as
quorum queues, queue arguments and policy keys the target no longer has) and
the conflicts with what green already holds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions import policy_keys, queue_arguments

try:
    from urllib.parse import quote
except ImportError:  # Python 2 (ansible-test sanity)
    from urllib import quote  # type: ignore

# What the target accepts comes from the definitions module's own rules
# (policy_keys, queue_arguments): whatever it would refuse on the target is
# dropped and named with its reason. On top of those, two deliberate
# conversions that keep a mirrored queue's behaviour meaningful on 4.x:
# lazy mode is dropped (accepted but without effect since 3.12), and a
# quorum queue takes reject-publish where the classic one had the -dlx form.
LAZY_MODE = "lazy mode has no effect since 3.12, classic queues v2 keep messages on disk"
SKIPPED_GLOBAL_PARAMETERS = ("cluster_name", "internal_cluster_id")
FEDERATION_KEYS = {
    "uri": "uri", "exchange": "exchange", "queue": "queue", "prefetch-count": "prefetch_count",
    "reconnect-delay": "reconnect_delay", "ack-mode": "ack_mode", "trust-user-id": "trust_user_id",
    "max-hops": "max_hops", "expires": "expires", "message-ttl": "message_ttl",
}
SHOVEL_NAME = "{prefix}{queue}"


class MigrationError(ValueError):
    """The inputs cannot be planned (named in the message)."""


def _version(version):
    """(major, minor, patch) of "4.3.6"; missing parts are 0."""
    parts = [int(p) for p in re.findall(r"\d+", str(version or ""))[:3]]
    return tuple(parts + [0] * (3 - len(parts))) if parts else (0, 0, 0)


def _tags(value):
    if isinstance(value, list):
        return sorted(t for t in value if t)
    return sorted(t for t in re.split(r"[,\s]+", value or "") if t)


def queue_type(queue):
    """A queue's type in an export (4.x writes ``type``, 3.x only the argument)."""
    return queue.get("type") or (queue.get("arguments") or {}).get("x-queue-type") or "classic"


def effective_policy(policies, vhost, name, kind="queue", queue_kind="classic"):
    """The policy RabbitMQ applies to a queue or exchange: highest priority wins."""
    applies = {"queue": ("all", "queues", "%s_queues" % queue_kind), "exchange": ("all", "exchanges")}[kind]
    best = None
    for policy in policies:
        if policy.get("vhost") != vhost or policy.get("apply-to", "all") not in applies:
            continue
        try:
            if not re.search(policy.get("pattern", ""), name):
                continue
        except re.error:
            continue
        if best is None or int(policy.get("priority", 0)) > int(best.get("priority", 0)):
            best = policy
    return best


def _vhost_uri(base, vhost):
    """``base`` (amqp://user:pw@host:port, or amqp:// for the local node) and the vhost as its path."""
    return "%s/%s" % (base if base.endswith("://") else base.rstrip("/"), quote(vhost, safe=""))


def _wanted_vhosts(blue, settings):
    names = [v["name"] for v in blue.get("vhosts", [])]
    wanted = settings.get("vhosts") or names
    missing = [v for v in wanted if v not in names]
    if missing:
        raise MigrationError("rabbitmq_migrate_vhosts: %s not on blue (blue has: %s)"
                             % (", ".join(sorted(missing)), ", ".join(sorted(names)) or "none"))
    return wanted


def _vhosts(blue, vhosts):
    out = []
    for vhost in blue.get("vhosts", []):
        if vhost["name"] not in vhosts:
            continue
        meta = vhost.get("metadata") or {}
        entry = {"name": vhost["name"]}
        description = vhost.get("description", meta.get("description"))
        if description:
            entry["description"] = description
        tags = vhost.get("tags", meta.get("tags"))
        if tags:
            entry["tags"] = _tags(tags)
        dqt = vhost.get("default_queue_type", meta.get("default_queue_type"))
        if dqt and dqt != "undefined":
            entry["default_queue_type"] = dqt
        out.append(entry)
    return out


def _users(blue, vhosts, skip, notes, all_vhosts):
    users_in_scope = {p["user"] for p in blue.get("permissions", []) if p["vhost"] in vhosts}
    users_in_scope |= {p["user"] for p in blue.get("topic_permissions", []) if p["vhost"] in vhosts}
    users, limits = [], []
    for user in blue.get("users", []):
        name = user["name"]
        if not all_vhosts and name not in users_in_scope:
            continue
        if name in skip:
            notes.append("user %s: not copied, green keeps its own (the migration's API user)" % name)
            continue
        users.append({
            "name": name,
            "password_hash": user.get("password_hash", ""),
            "hashing_algorithm": user.get("hashing_algorithm") or "rabbit_password_hashing_sha256",
            "tags": _tags(user.get("tags")),
        })
        limit = user.get("limits") or {}
        if limit:
            limits.append({"user": name, "max_connections": limit.get("max-connections"),
                           "max_channels": limit.get("max-channels")})
    return users, [{k: v for k, v in l.items() if v is not None} for l in limits], {u["name"] for u in users}


def _policy(policy, target, notes, label, operator=False):
    definition = dict(policy.get("definition") or {})
    dropped = []
    allowed = policy_keys.allowed_policy_keys(target, operator=operator)
    rules = policy_keys.value_rules(target)
    mirroring = sorted(k for k in definition if k in policy_keys.HA_POLICY_KEYS and k not in allowed)
    for key in mirroring:
        definition.pop(key)
    if mirroring:
        dropped.append(", ".join(mirroring))
    for key in sorted(definition):
        if key == "queue-mode" and target >= (4, 0):
            reason = LAZY_MODE
        elif key in policy_keys.denied_policy_keys(target):
            reason = policy_keys.DENIED_REASON.get(key, "refused by RabbitMQ %d.%d" % target[:2])
        elif key not in allowed:
            reason = "not a policy key of RabbitMQ %d.%d" % target[:2]
        else:
            reason = rules[key](definition[key]) if rules.get(key) else None
        if reason:
            dropped.append("%s (%s)" % (key, reason))
            definition.pop(key)
    if not definition:
        notes.append("%s %s in vhost %s: not carried over, it only held %s"
                     % (label, policy["name"], policy["vhost"], ", ".join(dropped)))
        return None
    if dropped:
        notes.append("%s %s in vhost %s: dropped %s" % (label, policy["name"], policy["vhost"], ", ".join(dropped)))
    return {"name": policy["name"], "vhost": policy["vhost"], "pattern": policy["pattern"],
            "apply_to": policy.get("apply-to", "all"), "priority": int(policy.get("priority", 0)),
            "definition": definition}


def _queue(queue, policies, target, notes):
    name, vhost = queue["name"], queue["vhost"]
    arguments = dict(queue.get("arguments") or {})
    arguments.pop("x-queue-type", None)
    blue_type = queue_type(queue)
    green_type = blue_type
    policy = effective_policy(policies, vhost, name, "queue", blue_type)
    mirrored = blue_type == "classic" and bool(policy and "ha-mode" in (policy.get("definition") or {}))
    label = "queue %s in vhost %s" % (name, vhost)
    if mirrored and target >= (4, 0):
        if queue.get("durable", True) and not queue.get("auto_delete", False):
            green_type = "quorum"
            notes.append("%s: mirrored classic queue (policy %s) declared as a quorum queue"
                         % (label, policy["name"]))
        else:
            notes.append("%s: mirrored but not durable or auto-delete, so it stays a classic queue "
                         "(not replicated on green)" % label)
    if green_type == "quorum" and arguments.get("x-overflow") == "reject-publish-dlx":
        arguments["x-overflow"] = "reject-publish"
        notes.append("%s: x-overflow reject-publish-dlx becomes reject-publish (quorum queues)" % label)
    for key in sorted(arguments):
        if key == "x-queue-mode" and target >= (4, 0):
            reasons = [LAZY_MODE]
        else:
            reasons = queue_arguments.argument_errors("", {key: arguments[key]}, green_type, target)
        if reasons:
            arguments.pop(key)
            notes.append("%s: argument %s dropped (%s)" % (label, key, reasons[0].split(": ", 1)[-1]))
    return {"name": name, "vhost": vhost, "type": green_type, "durable": bool(queue.get("durable", True)),
            "auto_delete": bool(queue.get("auto_delete", False)), "arguments": arguments}, blue_type


def _parameters(blue, vhosts, notes):
    upstreams, sets, vhost_limits = [], [], []
    for param in blue.get("parameters", []):
        if param.get("vhost") not in vhosts:
            continue
        component, name, value = param.get("component"), param.get("name"), param.get("value") or {}
        if component == "federation-upstream":
            entry = {"name": name, "vhost": param["vhost"]}
            extra = {}
            for key, val in value.items():
                if key in FEDERATION_KEYS:
                    entry[FEDERATION_KEYS[key]] = val if key != "uri" else (val if isinstance(val, list) else [val])
                else:
                    extra[key] = val
            if extra:
                entry["extra"] = extra
            upstreams.append(entry)
        elif component == "federation-upstream-set":
            sets.append({"name": name, "vhost": param["vhost"],
                         "upstreams": [u.get("upstream") for u in value if isinstance(u, dict)]})
        elif component == "vhost-limits":
            limit = {"vhost": param["vhost"]}
            if "max-connections" in value:
                limit["max_connections"] = value["max-connections"]
            if "max-queues" in value:
                limit["max_queues"] = value["max-queues"]
            vhost_limits.append(limit)
        elif component == "shovel":
            notes.append("shovel %s in vhost %s: not copied (it would run twice); declare it on green "
                         "when blue is retired" % (name, param["vhost"]))
        else:
            notes.append("runtime parameter %s/%s in vhost %s: not copied (component unknown to the migration)"
                         % (component, name, param["vhost"]))
    return upstreams, sets, vhost_limits


def plan(blue, green, settings):
    """What green declares (see the module docstring). ``settings``:

    vhosts (list, empty: all of blue's), target (green's version, e.g.
    "4.3.6"), skip_users (names kept as green has them), blue_hosts,
    amqp_user, amqp_password, amqp_port (blue's nodes as green reaches
    them; or blue_uris, complete AMQP URIs without a virtual host),
    shovel_prefix, reconnect_delay.
    """
    blue = blue or {}
    target = _version(settings.get("target") or green.get("rabbitmq_version") or "4.3")
    all_vhosts = not settings.get("vhosts")
    vhosts = _wanted_vhosts(blue, settings)
    skip = set(settings.get("skip_users") or [])
    notes = []
    users, user_limits, user_names = _users(blue, vhosts, skip, notes, all_vhosts)

    def in_scope(obj):
        return obj.get("vhost") in vhosts

    policies_src = [p for p in blue.get("policies", []) if in_scope(p)]
    policies = [p for p in (_policy(p, target, notes, "policy") for p in policies_src) if p]
    operator_policies = [p for p in (_policy(p, target, notes, "operator policy", operator=True)
                                     for p in blue.get("operator_policies", []) if in_scope(p)) if p]
    queues, moved = [], []
    for queue in blue.get("queues", []):
        if not in_scope(queue):
            continue
        entry, blue_type = _queue(queue, policies_src, target, notes)
        queues.append(entry)
        if blue_type == "stream":
            notes.append("queue %s in vhost %s: a stream; its messages are not moved by a shovel (replay them "
                         "with a stream client)" % (queue["name"], queue["vhost"]))
        else:
            moved.append({"vhost": entry["vhost"], "name": entry["name"], "blue_type": blue_type,
                          "green_type": entry["type"]})
    exchanges = [{"name": x["name"], "vhost": x["vhost"], "type": x.get("type", "direct"),
                  "durable": bool(x.get("durable", True)), "auto_delete": bool(x.get("auto_delete", False)),
                  "internal": bool(x.get("internal", False)), "arguments": x.get("arguments") or {}}
                 for x in blue.get("exchanges", []) if in_scope(x) and not x["name"].startswith("amq.")
                 and x["name"]]
    bindings = [{"vhost": b["vhost"], "source": b["source"], "destination": b["destination"],
                 "destination_type": b.get("destination_type", "queue"), "routing_key": b.get("routing_key", ""),
                 "arguments": b.get("arguments") or {}}
                for b in blue.get("bindings", []) if in_scope(b) and b.get("source")]
    permissions = [{"user": p["user"], "vhost": p["vhost"], "configure": p["configure"], "write": p["write"],
                    "read": p["read"]} for p in blue.get("permissions", []) if in_scope(p) and p["user"] in user_names]
    topic_permissions = [{"user": p["user"], "vhost": p["vhost"], "exchange": p["exchange"], "write": p["write"],
                          "read": p["read"]}
                         for p in blue.get("topic_permissions", []) if in_scope(p) and p["user"] in user_names]
    upstreams, upstream_sets, vhost_limits = _parameters(blue, vhosts, notes)
    if all_vhosts:
        global_parameters = [{"name": g["name"], "value": g["value"]} for g in blue.get("global_parameters", [])
                             if g["name"] not in SKIPPED_GLOBAL_PARAMETERS]
    else:
        global_parameters = []
    prefix = settings.get("shovel_prefix") or "mqops-migrate-"
    blue_uris = list(settings.get("blue_uris") or []) or [
        "amqp://%s:%s@%s:%s" % (quote(settings.get("amqp_user") or "", safe=""),
                                quote(settings.get("amqp_password") or "", safe=""),
                                "[%s]" % host if ":" in host else host, int(settings.get("amqp_port") or 5672))
        for host in settings.get("blue_hosts") or []]
    shovels = [{"name": SHOVEL_NAME.format(prefix=prefix, queue=q["name"]), "vhost": q["vhost"],
                "src_uri": [_vhost_uri(base, q["vhost"]) for base in blue_uris],
                "src_queue": q["name"], "dest_uri": [_vhost_uri("amqp://", q["vhost"])], "dest_queue": q["name"],
                "ack_mode": "on-confirm", "reconnect_delay": int(settings.get("reconnect_delay", 5))}
               for q in moved]
    if moved and not blue_uris:
        raise MigrationError("rabbitmq_migrate_blue_amqp_hosts: empty, the shovels need blue's AMQP addresses")
    definitions = {
        "vhosts": _vhosts(blue, vhosts), "users": users, "user_limits": user_limits, "permissions": permissions,
        "topic_permissions": topic_permissions, "policies": policies, "operator_policies": operator_policies,
        "vhost_limits": vhost_limits, "global_parameters": global_parameters, "federation_upstreams": upstreams,
        "federation_upstream_sets": upstream_sets, "exchanges": exchanges, "queues": queues, "bindings": bindings,
    }
    summary = ["%s/%s (%s -> %s)" % (q["vhost"], q["name"], q["blue_type"], q["green_type"]) for q in moved]
    return {"definitions": definitions, "shovels": shovels, "shovel_prefix": prefix, "queues": moved, "summary": summary,
            "vhosts": vhosts, "notes": notes, "conflicts": conflicts(definitions, green or {})}


def _index(items, *keys):
    return {tuple(item.get(k) for k in keys): item for item in items or []}


def conflicts(definitions, green):
    """Objects green already holds with other properties than the migration declares."""
    found = []
    have = _index(green.get("queues"), "vhost", "name")
    for queue in definitions["queues"]:
        other = have.get((queue["vhost"], queue["name"]))
        if other is None:
            continue
        args = dict(other.get("arguments") or {})
        args.pop("x-queue-type", None)
        differs = [what for what, mine, theirs in (
            ("type", queue["type"], queue_type(other)),
            ("durable", queue["durable"], bool(other.get("durable", True))),
            ("auto_delete", queue["auto_delete"], bool(other.get("auto_delete", False))),
            ("arguments", queue["arguments"], args)) if mine != theirs]
        if differs:
            found.append("queue %s in vhost %s exists on green with another %s (green: %s %s, migration: %s %s)"
                         % (queue["name"], queue["vhost"], "/".join(differs), queue_type(other), args,
                            queue["type"], queue["arguments"]))
    have = _index(green.get("exchanges"), "vhost", "name")
    for exchange in definitions["exchanges"]:
        other = have.get((exchange["vhost"], exchange["name"]))
        if other is not None and (other.get("type"), bool(other.get("durable", True)),
                                  bool(other.get("internal", False))) != (
                                      exchange["type"], exchange["durable"], exchange["internal"]):
            found.append("exchange %s in vhost %s exists on green as %s; blue's is %s"
                         % (exchange["name"], exchange["vhost"], other.get("type"), exchange["type"]))
    have = _index(green.get("users"), "name")
    for user in definitions["users"]:
        other = have.get((user["name"],))
        if other is not None and other.get("password_hash") != user["password_hash"]:
            found.append("user %s exists on green with another password" % user["name"])
    have = _index(green.get("policies"), "vhost", "name")
    for policy in definitions["policies"]:
        other = have.get((policy["vhost"], policy["name"]))
        if other is not None and (other.get("pattern"), other.get("apply-to", "all"), other.get("definition"),
                                  int(other.get("priority", 0))) != (
                                      policy["pattern"], policy["apply_to"], policy["definition"], policy["priority"]):
            found.append("policy %s in vhost %s exists on green with another pattern, target or definition"
                         % (policy["name"], policy["vhost"]))
    have = _index(green.get("permissions"), "vhost", "user")
    for perm in definitions["permissions"]:
        other = have.get((perm["vhost"], perm["user"]))
        if other is not None and (other.get("configure"), other.get("write"), other.get("read")) != (
                perm["configure"], perm["write"], perm["read"]):
            found.append("permissions of %s in vhost %s differ on green" % (perm["user"], perm["vhost"]))
    return found


def report(plan_, blue_before, blue_after, green_after, shovel_status):
    """Per moved queue: messages on blue before and now, moved by its shovel, on green now.

    ``blue_before``/``blue_after``/``green_after``: ``GET /api/queues``
    lists (name, vhost, messages); ``shovel_status``: ``GET /api/shovels``.
    """
    def counts(queues):
        return {(q.get("vhost"), q.get("name")): q.get("messages") for q in queues or []}

    before, after, green = counts(blue_before), counts(blue_after), counts(green_after)
    shovels = {(s.get("vhost"), s.get("name")): s for s in shovel_status or []}
    rows, lines = [], []
    for queue in plan_.get("queues", []):
        key = (queue["vhost"], queue["name"])
        name = SHOVEL_NAME.format(prefix=plan_.get("shovel_prefix", "mqops-migrate-"), queue=queue["name"])
        shovel = shovels.get((queue["vhost"], name), {})
        row = {"vhost": queue["vhost"], "queue": queue["name"], "type_on_blue": queue["blue_type"],
               "type_on_green": queue["green_type"], "blue_before": before.get(key), "blue_now": after.get(key),
               "moved": shovel.get("forwarded"), "shovel": shovel.get("state", "absent"),
               "green_now": green.get(key)}
        rows.append(row)
        lines.append("%s/%s (%s -> %s): blue before %s, blue now %s, moved by the shovel %s (%s), green now %s"
                     % (row["vhost"], row["queue"], row["type_on_blue"], row["type_on_green"],
                        _n(row["blue_before"]), _n(row["blue_now"]), _n(row["moved"]), row["shovel"],
                        _n(row["green_now"])))
    drained = all(r["blue_now"] == 0 for r in rows)
    return {"queues": rows, "lines": lines, "drained": drained}


def _n(value):
    return "?" if value is None else value
