# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Find role variables nobody declared (usually typos) and suggest the intended name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import os

from ansible_collections.mqops.rabbitmq.plugins.plugin_utils import argument_specs

DOCUMENTATION = r"""
name: unknown_variables
short_description: Variables with a role's prefix that the role does not know
version_added: 1.0.0
description:
  - Given the names of the variables set for a host (for example from
    C(lookup('ansible.builtin.varnames', '^rabbitmq_server_'))) and the
    options a role declares in its C(meta/argument_specs.yml), returns one
    message per unknown name, with the closest known name when one is near.
  - A misspelled variable is otherwise silently ignored and the role's
    default applies.
options:
  _input:
    description: Variable names to check.
    type: list
    elements: str
    required: true
  known:
    description:
      - The names the role declares, or the role's whole
        C(meta/argument_specs.yml) document (parsed, or the path of the
        file), whose options of every entry point are the known names.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Refuse unknown rabbitmq_server_* variables
  ansible.builtin.assert:
    that: __unknown | length == 0
    fail_msg: "{{ __unknown | join('; ') }}"
  vars:
    __unknown: >-
      {{ lookup('ansible.builtin.varnames', '^rabbitmq_server_', wantlist=True)
         | mqops.rabbitmq.unknown_variables(role_path ~ '/meta/argument_specs.yml') }}
"""

RETURN = r"""
_value:
  description: One message per unknown name, sorted, e.g.
    C(rabbitmq_server_plugin (did you mean rabbitmq_server_plugins?)).
  type: list
  elements: str
"""


def unknown_variables(names, known):
    """Messages for the names not in known, each with a suggestion when one is close."""
    known = argument_specs.load(known) if isinstance(known, str) else known
    if isinstance(known, dict):
        known = [name for entry in known["argument_specs"].values() for name in entry.get("options") or {}]
    known = sorted(set(known))
    # Compare what follows the role prefix: the prefix alone makes every
    # name look alike.
    prefix = os.path.commonprefix(known) if len(known) > 1 else ""
    prefix = prefix[:prefix.rfind("_") + 1]
    suffixes = dict((name[len(prefix):], name) for name in known)
    messages = []
    for name in sorted(set(names) - set(known)):
        stem = name[len(prefix):] if name.startswith(prefix) else name
        close = difflib.get_close_matches(stem, list(suffixes), n=1, cutoff=0.8)
        if close:
            messages.append("%s (did you mean %s?)" % (name, suffixes[close[0]]))
        else:
            messages.append(name)
    return messages


class FilterModule(object):
    """Ansible filters of mqops.rabbitmq."""

    def filters(self):
        return {"unknown_variables": unknown_variables}
