# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Virtual hosts, with their description, tags and default queue type."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import Kind, state
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.model import (
    clean,
    format_version,
    normalise_tags,
)

QUEUE_TYPES = ["classic", "quorum", "stream"]
DEFAULT_QUEUE_TYPE_SINCE = (3, 11)
UNSET = {"description": None, "tags": None, "default_queue_type": None}


def metadata_of(entry):
    """Description, tags and default queue type of an export or GET /api/vhosts entry."""
    meta = entry.get("metadata") or {}
    tags = meta.get("tags", entry.get("tags"))
    dqt = meta.get("default_queue_type", entry.get("default_queue_type"))
    return {
        "description": meta.get("description", entry.get("description")),
        "tags": None if tags is None else normalise_tags(tags),
        "default_queue_type": None if dqt == "undefined" else dqt,
    }


class Vhosts(Kind):
    name = "vhosts"
    description = ["Virtual hosts."]
    purge_description = "Purge virtual hosts."
    options = {
        "name": dict(type="str", required=True, description="Name."),
        "state": state("Whether it should exist. Deleting a virtual host deletes everything in it."),
        "description": dict(type="str", description="Description. Omit to leave it alone."),
        "tags": dict(type="list", elements="str", description="Tags. Omit to leave them alone."),
        "default_queue_type": dict(
            type="str",
            choices=QUEUE_TYPES,
            description=["Queue type of queues declared without one (RabbitMQ 3.11 and later). Omit to leave it"
                         " alone."],
        ),
    }
    key_fields = ("name",)
    identity = "name"
    vhost_scoped = False
    section = "vhosts"
    apply_rank = 0
    delete_rank = 14
    weight = 20  # each new virtual host starts its own processes

    def ident(self, key):
        return key[0]

    def value(self, entry):
        return {
            "description": entry.get("description"),
            "tags": None if entry.get("tags") is None else normalise_tags(entry.get("tags")),
            "default_queue_type": entry.get("default_queue_type"),
        }

    def validate(self, decl, ctx, errors):
        if decl.present and decl.value["default_queue_type"] is not None:
            if ctx.version is not None and ctx.version < DEFAULT_QUEUE_TYPE_SINCE:
                errors.append("%s.default_queue_type: needs RabbitMQ 3.11 or later (the broker runs %s)"
                              % (decl.label, format_version(ctx.version)))

    def read(self, export, details):
        by_name = dict((v.get("name"), v) for v in (details or []))
        result = {}
        for entry in export.get("vhosts") or []:
            name = entry["name"]
            source = entry
            if "metadata" not in entry and "description" not in entry and name in by_name:
                source = by_name[name]
            result[(name,)] = metadata_of(source)
        return result

    def touches(self, key, ctx):
        # Importing a virtual host gives the importing user full permissions on it.
        user = ctx.option("api_user")
        return set([("permissions", (key[0], user))]) if user else set()

    def delete_path(self, key):
        return api_path("vhosts", key[0])

    def plan(self, ctx):
        for key, decl, have in ctx.pairs(self):
            if decl is None or not decl.present:
                ctx.plan.record(self, key, "delete", before=clean(have))
                ctx.plan.delete(self, "DELETE", self.delete_path(key), keys=[key])
                continue
            want = dict(have or UNSET)
            for field, value in decl.value.items():
                if value is not None:
                    want[field] = value
            if have is not None and want == have:
                continue
            ctx.plan.add_import(self, key, self.import_entry(key, want))
            if have is None:
                ctx.plan.record(self, key, "create", after=clean(want))
            else:
                ctx.plan.record(self, key, "update", before=clean(have), after=clean(want))

    def import_entry(self, key, value):
        entry = {"name": key[0]}
        metadata = {}
        if value["description"] is not None:
            entry["description"] = metadata["description"] = value["description"]
        if value["tags"] is not None:
            entry["tags"] = metadata["tags"] = list(value["tags"])
        if value["default_queue_type"] is not None:
            entry["default_queue_type"] = metadata["default_queue_type"] = value["default_queue_type"]
        if metadata:
            entry["metadata"] = metadata
        return entry


KIND = Vhosts()
