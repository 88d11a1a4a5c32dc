# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Reading the broker: one definitions export, turned into ``{kind: {key: value}}``.

GET /api/definitions holds every kind. RabbitMQ < 3.11 exports only vhost
names, so GET /api/vhosts is read too when declared vhosts manage their
metadata; GET /api/nodes only when a quorum group size above 1 needs the
number of cluster nodes. RabbitMQ 4.3 leaves internal exchanges out of the
export: GET /api/exchanges adds the declared internal exchanges it lacks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import ApiError, api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.registry import ALL
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.values import is_group_size

VHOST_DETAILS = api_path("vhosts") + "?columns=name,description,tags,metadata"
EXCHANGE_DETAILS = api_path("exchanges", columns="name,vhost,type,durable,auto_delete,internal,arguments")
EXCHANGE_FIELDS = ("name", "vhost", "type", "durable", "auto_delete", "internal", "arguments")


def current_state(export, vhost_details=None):
    """The broker's objects by kind, as ``{kind: {key: canonical value}}``.

    ``vhost_details`` is GET /api/vhosts, used where the export lacks the
    virtual host metadata (RabbitMQ < 3.11).
    """
    return dict((kind.name, kind.read(export, vhost_details)) for kind in ALL)


def needs_vhost_details(export, desired, purge=None):
    """True when the export lacks vhost metadata that the run compares, or could
    have to restore (a vhost it may delete, see applying.apply_or_revert())."""
    entries = export.get("vhosts") or []
    if all("metadata" in v or "description" in v for v in entries):
        return False
    if (purge or {}).get("vhosts"):
        return True
    existing = set(v.get("name") for v in entries)
    for want in desired.get("vhosts") or []:
        if want.get("state", "present") != "present":
            if want.get("name") in existing:
                return True
            continue
        if want.get("description") is not None or want.get("tags") is not None:
            return True
    return False


def needs_cluster_nodes(desired):
    """True when a declared (present) object asks for a quorum group size above 1:
    only then is the number of cluster nodes worth a request.

    Sizes that are not whole numbers of 1 or more are refused without it.
    """
    for kind in ALL:
        for entry in desired.get(kind.name) or []:
            if entry.get("state", "present") == "absent":
                continue
            for size in kind.group_sizes(entry):
                if is_group_size(size) and size > 1:
                    return True
    return False


def hidden_exchanges(export, desired):
    """Exchanges the run needs to see that the export does not list: declared
    internal exchanges (any state) and exchanges that declared bindings name.
    RabbitMQ 4.3 exports no internal exchange, so they may exist all the same;
    on other versions a missing binding end is an error found without it."""
    listed = set((e.get("vhost"), e.get("name")) for e in export.get("exchanges") or [])
    wanted = set()
    for entry in desired.get("exchanges") or []:
        if entry.get("internal"):
            wanted.add((entry.get("vhost") or "/", entry.get("name")))
    for entry in desired.get("bindings") or []:
        vhost = entry.get("vhost") or "/"
        if entry.get("source"):
            wanted.add((vhost, entry.get("source")))
        if entry.get("destination_type") == "exchange":
            wanted.add((vhost, entry.get("destination")))
    declared = set((e.get("vhost") or "/", e.get("name")) for e in desired.get("exchanges") or []
                   if e.get("state", "present") == "present" and not e.get("internal"))
    return set(key for key in wanted - listed - declared
               if key[1] and not key[1].startswith("amq."))


def with_exchanges(export, rows, keys):
    """``export`` plus the rows of GET /api/exchanges whose (vhost, name) is in ``keys``."""
    found = [dict((f, row.get(f)) for f in EXCHANGE_FIELDS)
             for row in rows or [] if (row.get("vhost"), row.get("name")) in keys]
    if not found:
        return export
    export = dict(export)
    export["exchanges"] = list(export.get("exchanges") or []) + found
    return export


def read_state(api, desired, purge=None):
    """GET /api/definitions (and /api/vhosts when the export lacks metadata,
    /api/exchanges when it lacks declared internal exchanges)."""
    export = api.get(api_path("definitions"))
    details = None
    if needs_vhost_details(export, desired, purge):
        details = api.get(VHOST_DETAILS)
    hidden = hidden_exchanges(export, desired)
    if hidden:
        export = with_exchanges(export, api.get(EXCHANGE_DETAILS), hidden)
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
