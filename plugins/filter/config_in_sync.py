# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Whether a node's configuration files already are as declared, from their fingerprints."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.module_utils.config_files import in_sync

DOCUMENTATION = r"""
name: config_in_sync
short_description: Whether configuration files already match, from the node's fingerprints of them
version_added: 1.0.0
description:
  - Compares the entries M(mqops.rabbitmq.rabbitmq_config) would write (path, state, content, owner, group,
    mode) with what M(mqops.rabbitmq.rabbitmq_node_info) reported of those paths in its RV(fingerprints)
    (kind, owner, group, mode and the SHA-256 of a file's contents), by the rules that module applies.
  - True only when every entry matches; false when one differs, when a path was not fingerprinted, or when an
    entry cannot be compared. A play can then skip the module, which would find nothing to do.
  - Contents are only hashed, never returned or shown.
options:
  _input:
    description: The entries, as the O(mqops.rabbitmq.rabbitmq_config#module:files) option takes them.
    type: list
    elements: dict
    required: true
  fingerprints:
    description: The RV(mqops.rabbitmq.rabbitmq_node_info#module:fingerprints) of those paths.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the configuration unless the node already has it
  mqops.rabbitmq.rabbitmq_config:
    files: "{{ files }}"
  when: not files | mqops.rabbitmq.config_in_sync(node_state.fingerprints)
"""

RETURN = r"""
_value:
  description: Whether every entry already matches.
  type: bool
"""


def config_in_sync(entries, fingerprints):
    return in_sync(entries or [], fingerprints or {})


class FilterModule(object):
    """Ansible filters of mqops.rabbitmq."""

    def filters(self):
        return {"config_in_sync": config_in_sync}
