# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Blue-green migration: messages per queue on blue, moved, and on green."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils import migration

DOCUMENTATION = r"""
name: migration_report
short_description: Per queue of a blue-green migration, the messages on blue before and now, moved and on green
version_added: 1.0.0
description:
  - Combines the plan of P(mqops.rabbitmq.migration_plan#filter) with the
    queue lists of both clusters (C(GET /api/queues)) and green's shovel
    status (C(GET /api/shovels)).
options:
  _input:
    description: The plan.
    type: dict
    required: true
  blue_before:
    description: Blue's queues when the run started.
    type: list
    elements: dict
    required: true
  blue_now:
    description: Blue's queues now.
    type: list
    elements: dict
    required: true
  green_now:
    description: Green's queues now.
    type: list
    elements: dict
    required: true
  shovels:
    description: Green's shovel status.
    type: list
    elements: dict
    required: true
"""

RETURN = r"""
_value:
  description:
    - C(queues) (per queue - vhost, queue, type_on_blue, type_on_green,
      blue_before, blue_now, moved (the shovel's C(forwarded) count since it
      last started), shovel (its state), green_now), C(lines) (the same, one
      line per queue), C(drained) (every moved queue is empty on blue).
  type: dict
"""


def migration_report(plan, blue_before, blue_now, green_now, shovels):
    """See DOCUMENTATION."""
    return migration.report(plan, blue_before, blue_now, green_now, shovels)


class FilterModule(object):
    """Ansible filters of mqops.rabbitmq."""

    def filters(self):
        return {"migration_report": migration_report}
