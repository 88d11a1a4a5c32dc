# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Every object kind, in the order they are validated and reported.

A new kind is one module in this package (a Kind subclass, see base.py)
and one line here. Imports are explicit on purpose: AnsiballZ ships only the
module_utils a module imports, so kinds cannot be discovered at run time.
(Not in the package's ``__init__.py``: ansible-core 2.16 and 2.17 require
module_utils ``__init__.py`` files to be empty.)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds import (
    bindings,
    exchanges,
    federation_upstream_sets,
    federation_upstreams,
    global_parameters,
    operator_policies,
    permissions,
    policies,
    queues,
    shovels,
    topic_permissions,
    user_limits,
    users,
    vhost_limits,
    vhosts,
)

ALL = (
    vhosts.KIND,
    users.KIND,
    permissions.KIND,
    topic_permissions.KIND,
    policies.KIND,
    operator_policies.KIND,
    vhost_limits.KIND,
    user_limits.KIND,
    global_parameters.KIND,
    federation_upstreams.KIND,
    federation_upstream_sets.KIND,
    shovels.KIND,
    exchanges.KIND,
    queues.KIND,
    bindings.KIND,
)
KINDS = tuple(kind.name for kind in ALL)
BY_NAME = dict((kind.name, kind) for kind in ALL)
VHOST_SCOPED = frozenset(kind.name for kind in ALL if kind.vhost_scoped)
USER_SCOPED = frozenset(kind.name for kind in ALL if kind.user_index is not None)
# The kinds that scope others: objects with vhost_scoped (user_index) go
# with their virtual host (user).
VHOST_KIND = vhosts.KIND
USER_KIND = users.KIND

PURGE_DESCRIPTION = [
    "Kinds of object to purge. For a kind set to V(true), objects on the broker that are not declared are"
    " deleted. Never by default.",
    "Never purged - O(api_user) and O(protected_users) with their permissions and limits, the default and"
    " C(amq.*) exchanges, objects the federation plugin declares for its links (C(federation:) prefix), and the"
    " broker's own global parameters (C(internal_cluster_id), C(cluster_name), C(cluster_tags)).",
    "Objects inside a virtual host (or of a user) that is deleted go with it.",
]


def option_table():
    """The module options every kind brings: one list per kind, and ``purge``."""
    table = dict((kind.name, kind.option()) for kind in ALL)
    table["purge"] = dict(
        type="dict",
        default={},
        description=PURGE_DESCRIPTION,
        options=dict((kind.name, dict(type="bool", default=False, description=kind.purge_description))
                     for kind in ALL),
    )
    return table
