# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Global runtime parameters, for example cluster_name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import NAME, Kind, state

# The broker's own: never purged.
PROTECTED = frozenset(("internal_cluster_id", "cluster_name", "cluster_tags"))


class GlobalParameters(Kind):
    name = "global_parameters"
    description = ["Global runtime parameters, for example C(cluster_name)."]
    purge_description = "Purge global parameters."
    options = {
        "name": NAME,
        "value": dict(type="raw", description="Any JSON value. Required when present."),
        "state": state("Whether the parameter should exist."),
    }
    key_fields = ("name",)
    identity = "name"
    vhost_scoped = False
    section = "global_parameters"
    apply_rank = 4
    delete_rank = 10

    def ident(self, key):
        return key[0]

    def value(self, entry):
        return entry.get("value")

    def check(self, decl, entry, errors):
        if decl.present:
            self.require(decl, entry, errors, "value")

    def read(self, export, details):
        return dict(((e["name"],), e.get("value")) for e in export.get("global_parameters") or [])

    def protected(self, key, ctx):
        return key[0] in PROTECTED

    def import_entry(self, key, value):
        return {"name": key[0], "value": value}

    def delete_path(self, key):
        return api_path("global-parameters", key[0])


KIND = GlobalParameters()
