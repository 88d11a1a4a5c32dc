# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The unknown_variables filter: typos are found and the intended name suggested."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.filter.unknown_variables import FilterModule, unknown_variables

KNOWN = [
    "rabbitmq_server_memory_high_watermark",
    "rabbitmq_server_disk_free_limit",
    "rabbitmq_server_plugins",
    "rabbitmq_server_erlang_cookie",
    "rabbitmq_server_erlang_cookie_rotate",
]


def test_known_names_pass():
    assert unknown_variables(KNOWN, KNOWN) == []
    assert unknown_variables([], KNOWN) == []


def test_typo_gets_a_suggestion():
    assert unknown_variables(["rabbitmq_server_memory_high_watermak"], KNOWN) == [
        "rabbitmq_server_memory_high_watermak (did you mean rabbitmq_server_memory_high_watermark?)"
    ]
    assert unknown_variables(["rabbitmq_server_plugin"], KNOWN) == [
        "rabbitmq_server_plugin (did you mean rabbitmq_server_plugins?)"
    ]


def test_unrelated_name_has_no_suggestion():
    assert unknown_variables(["rabbitmq_server_xyz"], KNOWN) == ["rabbitmq_server_xyz"]


def test_sorted_and_deduplicated():
    names = ["rabbitmq_server_zzz", "rabbitmq_server_aaa", "rabbitmq_server_zzz"] + KNOWN
    assert unknown_variables(names, KNOWN) == ["rabbitmq_server_aaa", "rabbitmq_server_zzz"]


def test_registered_as_a_filter():
    assert FilterModule().filters()["unknown_variables"] is unknown_variables


def test_known_names_from_an_argument_specs_document():
    specs = {
        "argument_specs": {
            "main": {"options": {"rabbitmq_server_plugins": {}, "rabbitmq_server_erlang_cookie": {}}},
            "restart_node": {"options": {"rabbitmq_server_restart_host": {}}},
            "no_options": {},
        }
    }
    names = ["rabbitmq_server_plugins", "rabbitmq_server_restart_host", "rabbitmq_server_plugin"]
    assert unknown_variables(names, specs) == ["rabbitmq_server_plugin (did you mean rabbitmq_server_plugins?)"]
