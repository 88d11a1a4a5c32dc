# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The configuration file set: compare, stage, promote, roll back, on a temporary tree."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import stat

import pytest

from ansible_collections.mqops.rabbitmq.plugins.module_utils import config_files as files

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def tree(root):
    """{relative path: (content or 'dir', mode)} of everything under root."""
    found = {}
    for base, dirs, names in os.walk(str(root)):
        for name in dirs:
            path = os.path.join(base, name)
            found[os.path.relpath(path, str(root))] = ("dir", stat.S_IMODE(os.stat(path).st_mode))
        for name in names:
            path = os.path.join(base, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, str(root))] = (handle.read(), stat.S_IMODE(os.stat(path).st_mode))
    return found


@pytest.fixture
def etc(tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "rabbitmq.conf").write_text("old = 1\n")
    os.chmod(str(etc / "rabbitmq.conf"), 0o640)
    tls = etc / "tls"
    tls.mkdir()
    (tls / "key.pem").write_text("OLD KEY\n")
    os.chmod(str(tls / "key.pem"), 0o644)
    return etc


@pytest.fixture
def stores(tmp_path):
    return files.Store(str(tmp_path / "work" / "staged")), files.Store(str(tmp_path / "work" / "backup"))


def entry(path, content="new = 1\n", **kwargs):
    kwargs.setdefault("mode", "0640")
    return files.Entry(str(path), content=content, **kwargs)


@pytest.mark.parametrize("make, expected", [
    (lambda etc: entry(etc / "rabbitmq.conf", "old = 1\n"), []),
    (lambda etc: entry(etc / "rabbitmq.conf"), ["content"]),
    (lambda etc: entry(etc / "rabbitmq.conf", "old = 1\n", mode="0600"), ["mode"]),
    (lambda etc: entry(etc / "rabbitmq.conf", "old = 1\n", owner="nobody-such-user-x"), ["owner"]),
    (lambda etc: entry(etc / "advanced.config"), ["missing"]),
    (lambda etc: files.Entry(str(etc / "advanced.config"), "absent"), []),
    (lambda etc: files.Entry(str(etc / "rabbitmq.conf"), "absent"), ["exists"]),
    (lambda etc: files.Entry(str(etc / "tls"), "directory"), []),
    (lambda etc: files.Entry(str(etc / "rabbitmq.conf"), "directory"), ["kind"]),
])
def test_differences(etc, make, expected):
    assert files.differences(make(etc)) == expected


def _params(path, **kwargs):
    return dict(dict(path=str(path), state="present", content="old = 1\n", owner=OWNER, group=GROUP, mode="0640"),
                **kwargs)


def test_in_sync_from_fingerprints_agrees_with_differences(etc):
    paths = [str(etc / "rabbitmq.conf"), str(etc / "tls"), str(etc / "advanced.config")]
    prints = dict((path, files.fingerprint(path)) for path in paths)
    assert "old = 1" not in repr(prints)
    same = [_params(etc / "rabbitmq.conf"), _params(etc / "tls", state="directory", content=None, mode=None),
            _params(etc / "advanced.config", state="absent", content="")]
    assert files.in_sync(same, prints) is True
    for changed in (dict(content="new = 1\n"), dict(mode="0600"), dict(owner="nobody-such-user-x"),
                    dict(state="absent"), dict(state="directory")):
        entries = [_params(etc / "rabbitmq.conf", **changed)] + same[1:]
        assert files.in_sync(entries, prints) is False, changed
        assert files.differences(files.Entry.from_params(entries[0])) != []


def test_in_sync_asks_the_node_when_it_cannot_tell(etc):
    path = str(etc / "rabbitmq.conf")
    prints = {path: files.fingerprint(path)}
    # A path that was not fingerprinted, content that is not a string, an entry without a path.
    assert files.in_sync([_params(etc / "rabbitmq-env.conf")], prints) is False
    assert files.in_sync([_params(etc / "rabbitmq.conf", content={"old": 1})], prints) is False
    assert files.in_sync([dict(content="x")], prints) is False
    assert files.in_sync([_params("relative/path")], prints) is False
    # Paths compare normalised, as the module writes them.
    assert files.in_sync([_params(str(etc) + "//rabbitmq.conf")], prints) is True


def test_relative_path_refused():
    with pytest.raises(ValueError):
        files.Entry("etc/rabbitmq.conf")


def test_diff_item_hides_secrets(etc):
    secret = entry(etc / "tls" / "key.pem", "NEW KEY\n", secret=True)
    item = files.diff_item(secret, files.differences(secret))
    assert "KEY" not in item["before"] + item["after"]
    assert item["before"] == "# file %s:%s 0644\n(secret content, not shown)\n" % (OWNER, GROUP)
    assert item["after"] == "# file %s:%s 0640\n(secret content changed, not shown)\n" % (OWNER, GROUP)


def test_diff_item_shows_content_and_attributes(etc):
    plain = entry(etc / "rabbitmq.conf", mode="0600")
    item = files.diff_item(plain, files.differences(plain))
    assert item["before"].endswith("old = 1\n") and item["after"].endswith("new = 1\n")
    assert "0640" in item["before"] and "0600" in item["after"]


def test_stage_promote_commit(etc, stores):
    staged, backup = stores
    wanted = [entry(etc / "rabbitmq.conf", owner=OWNER, group=GROUP),
              entry(etc / "advanced.config", "[].\n", mode="0644")]
    files.ensure_private_dir(os.path.dirname(staged.directory))
    files.stage(wanted, staged)
    assert (etc / "rabbitmq.conf").read_text() == "old = 1\n"  # nothing live yet
    assert stat.S_IMODE(os.stat(staged.directory).st_mode) == 0o700
    promoted = files.promote(staged, backup)
    assert [e.path for e in promoted] == [str(etc / "rabbitmq.conf"), str(etc / "advanced.config")]
    assert (etc / "rabbitmq.conf").read_text() == "new = 1\n"
    assert (etc / "advanced.config").read_text() == "[].\n"
    assert stat.S_IMODE(os.stat(str(etc / "advanced.config")).st_mode) == 0o644
    assert not staged.exists() and backup.exists()
    backup.clear()
    assert not backup.exists()


def test_rollback_restores_exactly_what_ran_before(etc, stores):
    staged, backup = stores
    before = tree(etc)
    files.stage([entry(etc / "rabbitmq.conf"),
                 entry(etc / "advanced.config", "[].\n"),
                 files.Entry(str(etc / "tls"), "absent"),
                 files.Entry(str(etc / "dropin"), "directory", mode="0755"),
                 entry(etc / "dropin" / "limits.conf", "[Service]\n")], staged)
    files.promote(staged, backup)
    assert not (etc / "tls").exists() and (etc / "dropin" / "limits.conf").exists()
    restored = files.rollback(backup)
    assert tree(etc) == before
    assert str(etc / "tls" / "key.pem") in restored and str(etc / "advanced.config") in restored
    assert not backup.exists()


def test_promote_restart_free_only_leaves_the_rest_staged(etc, stores):
    staged, backup = stores
    files.stage([entry(etc / "rabbitmq.conf"), entry(etc / "enabled_plugins", "[].\n", restart=False)], staged)
    promoted = files.promote(staged, backup, restart_free_only=True)
    assert [e.path for e in promoted] == [str(etc / "enabled_plugins")]
    assert [r["path"] for r in staged.records()] == [str(etc / "rabbitmq.conf")]
    files.promote(staged, backup)
    # The backup spans both promotions: a rollback returns to the start.
    files.rollback(backup)
    assert not (etc / "enabled_plugins").exists()
    assert (etc / "rabbitmq.conf").read_text() == "old = 1\n"


def test_write_file_is_atomic_and_keeps_mode(etc):
    path = str(etc / "rabbitmq.conf")
    files.write_file(path, b"x = 2\n")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert [n for n in os.listdir(str(etc)) if n.startswith(".mqops-")] == []
