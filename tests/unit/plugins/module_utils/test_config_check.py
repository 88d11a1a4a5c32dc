# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The configuration check's pure parts: output parsing, messages, paths."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.mqops.rabbitmq.plugins.module_utils import config_check as check

# What the escript printed for an unknown key and a bad value (RabbitMQ 4.0.5).
UNKNOWN_AND_BAD_VALUE = "\n".join([
    "LOG\tYou've tried to set vm_memory_high_watermark.relativ, but there is no setting with that name.",
    "LOG\tDid you mean one of these?",
    "LOG\tvm_memory_high_watermark.relative",
    "LOG\tvm_memory_high_watermark.absolute",
    "ERROR\tconf\tError transforming datatype for: listeners.tcp.default",
    "ERROR\tconf\t\"abc\" cannot be converted to a(n) integer",
    "ERROR\tconf\tConf file attempted to set unknown variable: vm_memory_high_watermark.relativ",
    "ERROR\tadvanced\tline 3: syntax error before:",
    "DONE",
])


def test_parse_output_groups_errors_and_suggestions():
    errors, suggestions, done = check.parse_output(UNKNOWN_AND_BAD_VALUE)
    assert done
    assert errors["conf"] == [
        "Error transforming datatype for: listeners.tcp.default",
        "\"abc\" cannot be converted to a(n) integer",
        "Conf file attempted to set unknown variable: vm_memory_high_watermark.relativ",
    ]
    assert errors["advanced"] == [
        "line 3: syntax error before: the end of the file (a missing closing bracket or final dot?)"]
    assert suggestions == {"vm_memory_high_watermark.relativ": [
        "vm_memory_high_watermark.relative", "vm_memory_high_watermark.absolute"]}


def test_parse_output_without_done_is_incomplete():
    assert check.parse_output("ERROR\tconf\tboom\n")[2] is False


def test_describe_names_file_key_suggestion_and_variable():
    errors, suggestions, _done = check.parse_output(UNKNOWN_AND_BAD_VALUE)
    messages = check.describe(
        errors, suggestions,
        {"conf": ("rabbitmq.conf", "rabbitmq.conf settings"), "advanced": ("advanced.config", "rabbitmq_server_advanced_config")},
        {"vm_memory_high_watermark.relativ": "rabbitmq_server_config_extra",
         "listeners.tcp.default": "rabbitmq_server_config_extra"},
    )
    assert messages == [
        "rabbitmq.conf: Error transforming datatype for: listeners.tcp.default [set by rabbitmq_server_config_extra]",
        "rabbitmq.conf: \"abc\" cannot be converted to a(n) integer [set by rabbitmq.conf settings]",
        "rabbitmq.conf: Conf file attempted to set unknown variable: vm_memory_high_watermark.relativ "
        "(did you mean vm_memory_high_watermark.relative, vm_memory_high_watermark.absolute?) "
        "[set by rabbitmq_server_config_extra]",
        "advanced.config: line 3: syntax error before: the end of the file (a missing closing bracket or final "
        "dot?) [set by rabbitmq_server_advanced_config]",
    ]


def test_describe_reports_unexpected_topics():
    assert check.describe({"other": ["x"]}, {}, {}) == ["other: x"]


def test_rewrite_paths_points_managed_files_at_the_copy():
    conf = "ssl_options.certfile = /etc/rabbitmq/tls/cert.pem\nssl_options.keyfile = /etc/rabbitmq/tls/cert.pem.key\n"
    out = check.rewrite_paths(conf, ["/etc/rabbitmq/tls/cert.pem", "/etc/rabbitmq/tls/cert.pem.key"], "/w/check-1")
    assert out == ("ssl_options.certfile = /w/check-1/etc/rabbitmq/tls/cert.pem\n"
                   "ssl_options.keyfile = /w/check-1/etc/rabbitmq/tls/cert.pem.key\n")


@pytest.mark.parametrize("names, newest", [
    (["rabbitmq_server-3.10.8"], "rabbitmq_server-3.10.8"),
    (["rabbitmq_server-3.10.8", "rabbitmq_server-4.0.5", "rabbitmq_server-3.9.29"], "rabbitmq_server-4.0.5"),
    (["rabbitmq_server-4.3.10", "rabbitmq_server-4.3.6"], "rabbitmq_server-4.3.10"),
])
def test_find_plugins_dir_takes_the_newest_version(tmp_path, names, newest):
    for name in names:
        (tmp_path / name / "plugins").mkdir(parents=True)
    found = check.find_plugins_dir(str(tmp_path / "rabbitmq_server-*" / "plugins"))
    assert found == str(tmp_path / newest / "plugins")


def test_find_plugins_dir_none_when_not_installed(tmp_path):
    assert check.find_plugins_dir(str(tmp_path / "rabbitmq_server-*" / "plugins")) is None


def test_command_passes_only_what_is_checked():
    assert check.command("/usr/bin/escript", "/w/c.escript", "/p", conf="/w/r.conf") == [
        "/usr/bin/escript", "/w/c.escript", "plugins=/p", "conf=/w/r.conf"]
    assert check.command("escript", "s", "/p", advanced="/w/a.config",
                         tls={"cert": "/c", "key": "/k", "ca": "/a"}, days=30) == [
        "escript", "s", "plugins=/p", "advanced=/w/a.config", "cert=/c", "key=/k", "ca=/a", "days=30"]


ROLE_CONF = """# Managed by Ansible
listeners.tcp.default = 5672
vm_memory_high_watermark.relative = 0.4
disk_free_limit.absolute = 50MB
log.console = false
## Extra settings (rabbitmq_server_config_extra)
"""
EXTRA = "rabbitmq_server_config_extra"


def test_conf_settings_reads_keys_values_and_lines():
    assert check.conf_settings("# c\n\nchannel_max = 1500\nurl = a=b\n") == [(3, "channel_max", "1500"), (4, "url", "a=b")]


def test_overlaps_none_for_the_role_file_and_new_keys():
    text = ROLE_CONF + "channel_max = 1500\nlisteners.tcp.extra = 5999\n"
    assert check.overlaps(text, {"channel_max": EXTRA, "listeners.tcp.extra": EXTRA}) == []


def test_overlaps_names_an_extra_key_the_role_writes_and_keeps_its_value_out():
    text = ROLE_CONF + "vm_memory_high_watermark.relative = 0.77\n"
    [message] = check.overlaps(text, {"vm_memory_high_watermark.relative": EXTRA})
    assert "vm_memory_high_watermark.relative is set by rabbitmq_server_config_extra and by the role's own variables " \
        "(vm_memory_high_watermark.relative = 0.4, line 3)" in message
    assert "0.77" not in message


def test_overlaps_relative_beside_absolute():
    text = ROLE_CONF + "vm_memory_high_watermark.absolute = 2GB\ndisk_free_limit.relative = 1.5\n"
    messages = check.overlaps(text, {"vm_memory_high_watermark.absolute": EXTRA, "disk_free_limit.relative": EXTRA})
    assert len(messages) == 2
    assert "disk_free_limit.relative and disk_free_limit.absolute are both set" in messages[0]
    assert "disk_free_limit.absolute = 50MB (line 4)" in messages[0] and "1.5" not in messages[0]
    assert "vm_memory_high_watermark.relative and vm_memory_high_watermark.absolute are both set" in messages[1]
    assert "by the role's own variables and rabbitmq_server_config_extra" in messages[1]
    assert "remove vm_memory_high_watermark.absolute from rabbitmq_server_config_extra" in messages[1]


def test_overlaps_closed_listeners_beside_a_listener_under_them():
    text = "listeners.tcp = none\nlisteners.ssl.default = 5671\nlisteners.tcp.extra = 5999\n"
    [message] = check.overlaps(text, {"listeners.tcp.extra": EXTRA})
    assert message.startswith("rabbitmq.conf: listeners.tcp = none (set by the role's own variables) closes those "
                              "listeners, but rabbitmq_server_config_extra set listeners.tcp.extra")


def test_overlaps_a_key_the_file_sets_twice_without_a_source():
    assert check.overlaps("a.b = 1\nc = 2\na.b = 3\n") == ["rabbitmq.conf: a.b is set 2 times (lines 1, 3)."]
