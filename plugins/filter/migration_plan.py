# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Blue-green migration: what green declares, from blue's and green's exports."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.mqops.rabbitmq.plugins.module_utils import migration

DOCUMENTATION = r"""
name: migration_plan
short_description: The definitions and shovels a blue-green migration declares on green
version_added: 1.0.0
description:
  - Reads the blue cluster's C(GET /api/definitions) export and returns what
    the green cluster declares, in the option format of the
    M(mqops.rabbitmq.rabbitmq_definitions) module - virtual hosts, users
    (their salted password hashes), permissions, topic permissions, user and
    virtual host limits, policies, federation upstreams, exchanges, queues
    and bindings of the selected virtual hosts - and one dynamic shovel per
    queue, declared on green, that moves blue's messages.
  - Converts what the target series no longer accepts and says so in
    C(notes) - classic mirroring policy keys (C(ha-*)) dropped, a classic
    queue a C(ha-mode) policy mirrors (durable, not auto-delete) declared as
    a quorum queue; every queue argument and policy key the
    M(mqops.rabbitmq.rabbitmq_definitions) module's validation refuses on
    the target's version dropped with its reason (for example
    C(x-max-priority) on a quorum queue, C(x-queue-master-locator) and queue
    version 1 on 4.3); lazy mode (C(x-queue-mode), C(queue-mode)) dropped on
    4.x, where it has no effect; C(reject-publish-dlx) becomes
    C(reject-publish) on a quorum queue; a policy left with no key not
    carried over. Shovels and unknown runtime parameters of
    blue are not copied (listed in C(notes)); streams are declared but their
    messages are not moved.
  - Lists in C(conflicts) every object green already holds with other
    properties (queue type, durability or arguments, exchange type, a
    user's password, a policy, permissions).
options:
  _input:
    description: Blue's C(GET /api/definitions) export.
    type: dict
    required: true
  green:
    description: Green's C(GET /api/definitions) export.
    type: dict
    required: true
  settings:
    description:
      - C(vhosts) (list; empty - every virtual host of blue), C(target)
        (green's RabbitMQ version), C(skip_users) (users green keeps as they
        are, such as its administrator), C(blue_hosts), C(amqp_user),
        C(amqp_password), C(amqp_port) (blue's nodes as green reaches them,
        and the credentials the shovels use there) or C(blue_uris)
        (complete AMQP URIs without a virtual host), C(shovel_prefix),
        C(reconnect_delay).
    type: dict
    required: true
"""

RETURN = r"""
_value:
  description:
    - C(definitions) (rabbitmq_definitions options), C(shovels), C(queues)
      (vhost, name, blue_type, green_type of every queue whose messages
      move), C(vhosts), C(notes), C(conflicts), C(shovel_prefix).
  type: dict
"""


def migration_plan(blue, green, settings):
    """See DOCUMENTATION."""
    try:
        return migration.plan(blue, green or {}, settings or {})
    except migration.MigrationError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """Ansible filters of mqops.rabbitmq."""

    def filters(self):
        return {"migration_plan": migration_plan}
