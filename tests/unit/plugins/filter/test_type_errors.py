# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""type_errors: values that Ansible's argument validation would silently convert."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.mqops.rabbitmq.plugins.filter.type_errors import type_errors

SPEC = {"argument_specs": {"main": {"options": {
    "r_plugins": {"type": "list"},
    "r_extra": {"type": "dict"},
    "r_tls": {"type": "bool"},
    "r_port": {"type": "int"},
    "r_ratio": {"type": "float"},
    "r_name": {"type": "str"},
    "r_any": {"type": "raw"},
    "r_secret": {"type": "str", "no_log": True},
}}}}


@pytest.mark.parametrize("values", [
    {"r_plugins": ["a"], "r_extra": {}, "r_tls": False, "r_port": 5672, "r_ratio": 0.4, "r_name": "x"},
    {"r_port": "5672", "r_ratio": "0.4", "r_name": 3, "r_any": "whatever", "r_unknown": 1},
    {"r_name": None},
])
def test_values_of_the_declared_type_pass(values):
    assert type_errors(values, SPEC) == []


@pytest.mark.parametrize("name, value, message", [
    ("r_plugins", "rabbitmq_management", "r_plugins must be a list (YAML list), got a string"),
    ("r_plugins", {"a": 1}, "r_plugins must be a list (YAML list), got dict"),
    ("r_extra", ["a"], "r_extra must be a mapping (YAML dict), got list"),
    ("r_tls", "false", "r_tls must be true or false (YAML bool), got a string"),
    ("r_tls", 1, "r_tls must be true or false (YAML bool), got int"),
    ("r_port", "five", "r_port must be an integer (YAML int), got a string"),
    ("r_port", True, "r_port must be an integer (YAML int), got bool"),
    ("r_ratio", "60%", "r_ratio must be a number (YAML float), got a string"),
    ("r_name", ["a"], "r_name must be a string (YAML str), got list"),
])
def test_values_of_another_type_are_named(name, value, message):
    assert type_errors({name: value}, SPEC) == [message]


def test_secret_values_are_never_quoted():
    assert type_errors({"r_secret": ["Sup3r-Secret"]}, SPEC) == ["r_secret must be a string (YAML str), got list"]
