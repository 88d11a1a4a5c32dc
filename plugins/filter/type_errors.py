# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Role variables whose YAML type is not the one the role's argument spec declares."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible_collections.mqops.rabbitmq.plugins.plugin_utils import argument_specs

DOCUMENTATION = r"""
name: type_errors
short_description: Role variables given with another YAML type than the role declares
version_added: 1.0.0
description:
  - Ansible's role argument validation converts what it can before checking
    (C("a,b") becomes a list, C("no") a boolean, C("5672") an integer) but
    the role then sees the variable as it was written - a string where a list
    was meant is iterated character by character, the string C("false") is
    true in a condition. This filter reports, for each variable, when its
    value does not already have the declared type.
  - Messages name the variable, the declared type and the type found, never
    the value.
options:
  _input:
    description: Variable names and their values.
    type: dict
    required: true
  spec:
    description:
      - The role's C(meta/argument_specs.yml) document, parsed or the path
        of the file (read once per controller process while it is
        unchanged).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Refuse rabbitmq_server_* variables of the wrong type
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors | join('; ') }}"
  vars:
    __names: "{{ lookup('ansible.builtin.varnames', '^rabbitmq_server_', wantlist=True) }}"
    __errors: >-
      {{ dict(__names | zip(query('ansible.builtin.vars', *__names)))
         | mqops.rabbitmq.type_errors(role_path ~ '/meta/argument_specs.yml') }}
"""

RETURN = r"""
_value:
  description: One message per variable of the wrong type, sorted by name.
  type: list
  elements: str
"""

_NAMES = {"list": "a list", "dict": "a mapping", "bool": "true or false", "int": "an integer",
          "float": "a number", "str": "a string", "path": "a string"}


def _kind(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, Mapping):
        return "dict"
    if isinstance(value, (list, tuple)):
        return "list"
    if value is None:
        return "null"
    return type(value).__name__


def _matches(declared, value):
    kind = _kind(value)
    if declared in ("list", "dict", "bool"):
        return kind == declared
    if declared == "int":
        return kind == "int" or (kind == "str" and value.strip().lstrip("-").isdigit())
    if declared == "float":
        if kind in ("int", "float"):
            return True
        try:
            float(value)
            return kind == "str"
        except (TypeError, ValueError):
            return False
    if declared in ("str", "path"):
        return kind in ("str", "int", "float")
    return True


def type_errors(values, spec):
    """Messages for the variables whose value has another type than their spec declares."""
    spec = argument_specs.load(spec)
    options = {}
    for entry in (spec.get("argument_specs") or {}).values():
        options.update(entry.get("options") or {})
    messages = []
    for name in sorted(values):
        option = options.get(name)
        if not option or option.get("type", "str") not in _NAMES:
            continue
        declared = option.get("type", "str")
        value = values[name]
        if value is None and not option.get("required"):
            continue
        if not _matches(declared, value):
            messages.append("%s must be %s (YAML %s), got %s" % (
                name, _NAMES[declared], declared, "a string" if _kind(value) == "str" else _kind(value)))
    return messages


class FilterModule(object):
    """Ansible filters of mqops.rabbitmq."""

    def filters(self):
        return {"type_errors": type_errors}
