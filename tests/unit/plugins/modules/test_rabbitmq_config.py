# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""rabbitmq_config: the module's flow, with the Erlang check and sh mocked."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from unittest import mock

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mqops.rabbitmq.plugins.modules import rabbitmq_config
from ansible_collections.mqops.rabbitmq.tests.unit.plugins.modules.harness import (
    AnsibleFailJson,
    patch_exits,
    run_module,
)

ESCRIPT = "/usr/bin/escript"
KEY = "-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n"


class FakeRunner(object):
    """run_command for escript and sh -n; records argv and the env."""

    def __init__(self, escript_out="DONE\n", escript_rc=0, sh_rc=0, sh_err=""):
        self.calls = []
        self.escript = (escript_rc, escript_out, "")
        self.sh = (sh_rc, "", sh_err)
        self.seen_conf = None

    def __call__(self, argv, environ_update=None):
        self.calls.append((list(argv), dict(environ_update or {})))
        if argv[0] == "/bin/sh":
            return self.sh
        conf = [a for a in argv if a.startswith("conf=")]
        if conf:
            with open(conf[0][5:]) as handle:
                self.seen_conf = handle.read()
        return self.escript


@pytest.fixture
def node(tmp_path, monkeypatch):
    patch_exits(monkeypatch)
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "rabbitmq.conf").write_text("listeners.tcp.default = 5672\n")
    os.chmod(str(etc / "rabbitmq.conf"), 0o640)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    monkeypatch.setattr(AnsibleModule, "get_bin_path", mock.Mock(return_value=ESCRIPT))
    return tmp_path


def install(monkeypatch, runner):
    monkeypatch.setattr(AnsibleModule, "run_command", mock.Mock(side_effect=runner))
    return runner


def args(node, conf="listeners.tcp.default = 5673\n", **extra):
    etc = node / "etc"
    base = dict(
        files=[dict(path=str(etc / "rabbitmq.conf"), content=conf, mode="0640"),
               dict(path=str(etc / "enabled_plugins"), content="[rabbitmq_management].\n", restart=False)],
        secret_files=[dict(path=str(etc / "key.pem"), content=KEY, mode="0600")],
        validate=dict(rabbitmq_conf=str(etc / "rabbitmq.conf"), env_file=str(etc / "rabbitmq-env.conf"),
                      variables={str(etc / "rabbitmq.conf"): "rabbitmq.conf settings"},
                      sources={"listeners.tcp.default": "rabbitmq_server_config_extra"}),
        plugins_dir=str(node / "plugins"),
        work_dir=str(node / "work"),
    )
    base.update(extra)
    return base


def test_nothing_differs_no_check_no_write(node, monkeypatch):
    runner = install(monkeypatch, FakeRunner())
    etc = node / "etc"
    result = run_module(rabbitmq_config.main, dict(
        files=[dict(path=str(etc / "rabbitmq.conf"), content="listeners.tcp.default = 5672\n", mode="0640")],
        validate=dict(rabbitmq_conf=str(etc / "rabbitmq.conf")), plugins_dir=str(node / "plugins"),
        work_dir=str(node / "work")))
    assert result["changed"] is False and result["pending"] == [] and result["checked"] == []
    assert runner.calls == []


def test_running_node_stages_restart_files_and_writes_the_rest(node, monkeypatch):
    runner = install(monkeypatch, FakeRunner())
    result = run_module(rabbitmq_config.main, args(node, _ansible_diff=True))
    etc = node / "etc"
    assert result["changed"] and result["restart_needed"]
    assert result["written"] == [str(etc / "enabled_plugins")]
    assert result["staged"] == [str(etc / "rabbitmq.conf"), str(etc / "key.pem")]
    assert (etc / "rabbitmq.conf").read_text() == "listeners.tcp.default = 5672\n"
    assert not (etc / "key.pem").exists()
    # The check ran on a private copy whose paths point at the copy.
    argv, env = runner.calls[0]
    assert argv[:3] == [ESCRIPT, argv[1], "plugins=" + str(node / "plugins")]
    assert argv[1].startswith(str(node / "work" / "check-")) and env == {"ERL_LIBS": str(node / "plugins")}
    assert runner.seen_conf == "listeners.tcp.default = 5673\n"
    assert not [n for n in os.listdir(str(node / "work")) if n.startswith("check-")]
    assert KEY.strip() not in repr(result)
    assert "SECRETKEYMATERIAL" not in repr(result["diff"])


def test_stopped_node_gets_everything_in_place(node, monkeypatch):
    install(monkeypatch, FakeRunner())
    result = run_module(rabbitmq_config.main, args(node, stage_restart=False))
    etc = node / "etc"
    assert result["staged"] == [] and len(result["written"]) == 3
    assert (etc / "rabbitmq.conf").read_text() == "listeners.tcp.default = 5673\n"
    assert (etc / "key.pem").read_text() == KEY


def test_refused_configuration_changes_nothing(node, monkeypatch):
    out = ("LOG\tYou've tried to set listeners.tcp.defualt, but there is no setting with that name.\n"
           "LOG\tDid you mean one of these?\nLOG\tlisteners.tcp.default\n"
           "ERROR\tconf\tConf file attempted to set unknown variable: listeners.tcp.defualt\nDONE\n")
    install(monkeypatch, FakeRunner(escript_out=out))
    result = run_module(rabbitmq_config.main, args(node, conf="listeners.tcp.defualt = 1\n"), expect=AnsibleFailJson)
    assert result["errors"] == [
        "rabbitmq.conf: Conf file attempted to set unknown variable: listeners.tcp.defualt "
        "(did you mean listeners.tcp.default?) [set by rabbitmq.conf settings]"]
    assert "nothing was changed" in result["msg"]
    assert not (node / "etc" / "enabled_plugins").exists()
    assert not os.path.exists(str(node / "work" / "staged"))


def test_env_file_syntax_is_checked(node, monkeypatch):
    runner = install(monkeypatch, FakeRunner(sh_rc=2, sh_err="/x/etc/rabbitmq-env.conf: 1: Syntax error: Unterminated quoted string"))
    etc = node / "etc"
    parameters = args(node)
    parameters["files"].append(dict(path=str(etc / "rabbitmq-env.conf"), content='NODENAME="rabbit@x\n'))
    parameters["validate"]["variables"][str(etc / "rabbitmq-env.conf")] = "rabbitmq_server_env_extra"
    result = run_module(rabbitmq_config.main, parameters, expect=AnsibleFailJson)
    assert result["errors"][0].startswith("rabbitmq-env.conf: not valid shell:")
    assert result["errors"][0].endswith("[set by rabbitmq_server_env_extra]")
    assert runner.calls[0][0][:2] == ["/bin/sh", "-n"]


def test_check_mode_checks_but_writes_nothing(node, monkeypatch):
    runner = install(monkeypatch, FakeRunner())
    result = run_module(rabbitmq_config.main, args(node, _ansible_check_mode=True, stage_restart=False))
    assert result["changed"] and result["written"] == [] and result["checked"] == ["rabbitmq.conf"]
    assert len(runner.calls) == 1
    assert (node / "etc" / "rabbitmq.conf").read_text() == "listeners.tcp.default = 5672\n"
    assert not os.path.exists(str(node / "work" / "staged"))


def test_failed_check_run_is_reported(node, monkeypatch):
    install(monkeypatch, FakeRunner(escript_out="", escript_rc=127))
    result = run_module(rabbitmq_config.main, args(node), expect=AnsibleFailJson)
    assert "check itself failed (rc=127)" in result["msg"]


def test_promote_then_rollback_through_the_module(node, monkeypatch):
    install(monkeypatch, FakeRunner())
    work = dict(work_dir=str(node / "work"))
    run_module(rabbitmq_config.main, args(node))
    promoted = run_module(rabbitmq_config.main, dict(work, state="promote"))
    assert promoted["changed"] and promoted["restart_needed"]
    assert (node / "etc" / "rabbitmq.conf").read_text() == "listeners.tcp.default = 5673\n"
    rolled = run_module(rabbitmq_config.main, dict(work, state="rollback"))
    assert sorted(rolled["restored"]) == sorted([str(node / "etc" / "rabbitmq.conf"), str(node / "etc" / "key.pem")])
    assert (node / "etc" / "rabbitmq.conf").read_text() == "listeners.tcp.default = 5672\n"
    assert not (node / "etc" / "key.pem").exists()
    assert run_module(rabbitmq_config.main, dict(work, state="rollback"))["changed"] is False


def test_discard_and_commit(node, monkeypatch):
    install(monkeypatch, FakeRunner())
    work = dict(work_dir=str(node / "work"))
    run_module(rabbitmq_config.main, args(node))
    assert run_module(rabbitmq_config.main, dict(work, state="discard"))["changed"] is True
    assert run_module(rabbitmq_config.main, dict(work, state="promote"))["changed"] is False
    assert run_module(rabbitmq_config.main, dict(work, state="commit"))["changed"] is False


def test_duplicate_paths_refused(node, monkeypatch):
    install(monkeypatch, FakeRunner())
    parameters = args(node)
    parameters["files"].append(dict(parameters["files"][0]))
    assert "more than once" in run_module(rabbitmq_config.main, parameters, expect=AnsibleFailJson)["msg"]


def test_per_file_validate_command_refuses_the_set(node, monkeypatch):
    calls = []

    def runner(argv, environ_update=None):
        calls.append(list(argv))
        if argv[0] == "/usr/sbin/nft":
            with open(argv[-1]) as handle:
                assert handle.read() == "table inet x { bogus }\n"
            return 1, "", "/x/check-1/etc/mqops/fw.nft:1:17-21: Error: syntax error, unexpected string"
        return 0, "DONE\n", ""

    monkeypatch.setattr(AnsibleModule, "run_command", mock.Mock(side_effect=runner))
    rules = str(node / "etc" / "fw.nft")
    result = run_module(rabbitmq_config.main, dict(
        files=[dict(path=rules, content="table inet x { bogus }\n", validate="/usr/sbin/nft -c -f %s")],
        work_dir=str(node / "work")), expect=AnsibleFailJson)
    assert calls == [["/usr/sbin/nft", "-c", "-f", calls[0][-1]]]
    assert calls[0][-1].startswith(str(node / "work" / "check-")) and calls[0][-1].endswith(rules)
    assert result["errors"][0].startswith(rules + ": /usr/sbin/nft refused it: ")
    assert "syntax error" in result["errors"][0]
    assert not os.path.exists(rules)


def test_per_file_validate_command_needs_the_placeholder(node, monkeypatch):
    install(monkeypatch, FakeRunner())
    result = run_module(rabbitmq_config.main, dict(
        files=[dict(path=str(node / "etc" / "fw.nft"), content="x\n", validate="/usr/sbin/nft -c -f")],
        work_dir=str(node / "work")), expect=AnsibleFailJson)
    assert "must contain %s" in result["msg"]
