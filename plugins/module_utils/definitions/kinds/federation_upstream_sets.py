# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Federation upstream sets (component federation-upstream-set): named lists of upstreams."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds import federation_upstreams
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.base import (
    NAME,
    VHOST,
    ParameterKind,
    state,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.model import format_version

# rabbitmqctl export_definitions fails while a federation upstream set exists
# (rabbitmq/rabbitmq-server#11612; fixed for 4.0 and late 3.13 releases).
CLI_EXPORT_FIXED_IN = (4, 0)


class FederationUpstreamSets(ParameterKind):
    name = "federation_upstream_sets"
    description = ["Federation upstream sets (component C(federation-upstream-set))."]
    purge_description = "Purge federation upstream sets."
    options = {
        "name": NAME,
        "vhost": VHOST,
        "upstreams": dict(type="list", elements="raw", description=[
            "Members, each an upstream name or a dict with C(upstream) and overriding keys."]),
        "state": state("Whether the set should exist."),
    }
    component = "federation-upstream-set"
    apply_rank = 12
    delete_rank = 4

    def value(self, entry):
        members = []
        for member in entry.get("upstreams") or []:
            if isinstance(member, str):
                member = {"upstream": member}
            members.append(dict(member))
        return members

    def check(self, decl, entry, errors):
        if not decl.present:
            return
        if not decl.value:
            errors.append("%s.upstreams: at least one upstream is required" % decl.label)
        for index, member in enumerate(decl.value):
            if not member.get("upstream"):
                errors.append("%s.upstreams[%d]: the upstream name is missing" % (decl.label, index))

    def validate_references(self, decl, ctx, errors):
        if not decl.present:
            return
        upstreams = ctx.final(federation_upstreams.KIND)
        for index, member in enumerate(decl.value):
            name = member.get("upstream")
            if name and (decl.key[0], name) not in upstreams:
                errors.append("%s.upstreams[%d]: upstream %r is neither declared nor existing in virtual host %r"
                              % (decl.label, index, name, decl.key[0]))

    def warnings(self, ctx):
        if ctx.version is None or ctx.version >= CLI_EXPORT_FIXED_IN or not ctx.final(self):
            return []
        return [
            "RabbitMQ %s: while a federation upstream set exists, 'rabbitmqctl export_definitions' fails"
            " (rabbitmq/rabbitmq-server#11612, fixed in 4.0), and so does every tool that reads it, such as"
            " mqops.rabbitmq.rabbitmq_cli_users; the HTTP API is not affected. Prefer the"
            " federation-upstream policy key on this version." % format_version(ctx.version)
        ]


KIND = FederationUpstreamSets()
