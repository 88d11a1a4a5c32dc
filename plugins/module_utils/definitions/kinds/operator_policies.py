# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Operator policies: limits that override user policies (runtime parameters of component operator_policy)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import api_path
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.policies import (
    POLICY_OPTIONS,
    Policies,
    policy_value,
)

COMPONENT = "operator_policy"


class OperatorPolicies(Policies):
    name = "operator_policies"
    description = ["Operator policies (limits that override user policies)."]
    purge_description = "Purge operator policies."
    options = POLICY_OPTIONS
    section = "parameters"
    apply_rank = 6
    delete_rank = 7
    operator = True
    default_apply_to = "queues"

    def read(self, export, details):
        return dict(((e["vhost"], e["name"]), policy_value(e.get("value") or {}))
                    for e in export.get("parameters") or [] if e.get("component") == COMPONENT)

    def import_entry(self, key, value):
        return dict(vhost=key[0], component=COMPONENT, name=key[1], value=value)

    def delete_path(self, key):
        return api_path("operator-policies", key[0], key[1])


KIND = OperatorPolicies()
