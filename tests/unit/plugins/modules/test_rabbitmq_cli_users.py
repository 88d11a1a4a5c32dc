# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for the rabbitmq_cli_users module (no broker: the CLI is mocked)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import copy
import json
import os
import stat
from unittest import mock

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mqops.rabbitmq.plugins.module_utils import cli
from ansible_collections.mqops.rabbitmq.plugins.module_utils.password import (
    hash_password,
    password_matches,
)
from ansible_collections.mqops.rabbitmq.plugins.modules import rabbitmq_cli_users
from ansible_collections.mqops.rabbitmq.plugins.modules.rabbitmq_cli_users import (
    PlanError,
    plan,
)
from ansible_collections.mqops.rabbitmq.tests.unit.plugins.modules import module_docs
from ansible_collections.mqops.rabbitmq.tests.unit.plugins.modules.harness import patch_module_args

SHA256 = "rabbit_password_hashing_sha256"
SHA512 = "rabbit_password_hashing_sha512"
MD5 = "rabbit_password_hashing_md5"

ADMIN_PASSWORD = "admin-Pa55word"
ADMIN_HASH = hash_password(ADMIN_PASSWORD, SHA256, b"\x01\x02\x03\x04")
GUEST_HASH = hash_password("guest", SHA256, b"\x05\x06\x07\x08")
LEGACY_PASSWORD = "legacy-pw"
LEGACY_HASH = hash_password(LEGACY_PASSWORD, MD5, b"\x09\x0a\x0b\x0c")
OTHER_HASH = hash_password("something else", SHA256, b"\x0d\x0e\x0f\x10")


# --- helpers -----------------------------------------------------------------------


def fake_hasher(password, algorithm):
    """Deterministic stand-in for hash_password (random salt)."""
    return "FAKEHASH<%s:%s>" % (algorithm, password)


def definitions():
    """A definitions export as RabbitMQ 3.8+/4.x writes it."""
    return {
        "rabbit_version": "4.0.5",
        "rabbitmq_version": "4.0.5",
        "users": [
            {
                "name": "admin",
                "password_hash": ADMIN_HASH,
                "hashing_algorithm": SHA256,
                "tags": ["administrator"],
                "limits": {},
            },
            {
                "name": "guest",
                "password_hash": GUEST_HASH,
                "hashing_algorithm": SHA256,
                "tags": ["administrator"],
                "limits": {},
            },
            {
                "name": "legacy",
                "password_hash": LEGACY_HASH,
                "hashing_algorithm": MD5,
                # Older nodes export tags as one comma separated string.
                "tags": "monitoring,management",
            },
        ],
        "vhosts": [{"name": "/"}, {"name": "apps"}],
        "permissions": [
            {"user": "admin", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
            {"user": "guest", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
            {"user": "legacy", "vhost": "apps", "configure": "^$", "write": ".*", "read": ".*"},
        ],
        "queues": [],
        "exchanges": [],
        "bindings": [],
    }


def user(name, **options):
    """A desired user as AnsibleModule hands it over (every option present)."""
    entry = dict(
        name=name,
        state="present",
        password=None,
        password_hash=None,
        hashing_algorithm=SHA256,
        update_password="always",
        tags=None,
        permissions=None,
    )
    entry.update(options)
    return entry


def perm(vhost="/", configure=".*", write=".*", read=".*"):
    return dict(vhost=vhost, configure=configure, write=write, read=read)


def perm_entry(user_name, vhost="/", configure=".*", write=".*", read=".*"):
    return dict(user=user_name, vhost=vhost, configure=configure, write=write, read=read)


def keys_anywhere(value):
    """Every dict key in a nested structure."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            for sub in keys_anywhere(item):
                yield sub
    elif isinstance(value, (list, tuple)):
        for item in value:
            for sub in keys_anywhere(item):
                yield sub


# --- plan(): successful plans ---------------------------------------------------------

PLAN_CASES = [
    pytest.param(
        [user("app", password="app-pw", tags=["management"], permissions=[perm("apps")])],
        dict(
            import_={
                "users": [
                    {
                        "name": "app",
                        "password_hash": "FAKEHASH<%s:app-pw>" % SHA256,
                        "hashing_algorithm": SHA256,
                        "tags": ["management"],
                    }
                ],
                "permissions": [perm_entry("app", "apps")],
            },
            created=["app"],
            updated=[],
            delete=[],
        ),
        id="create-with-password",
    ),
    pytest.param(
        [user("app", password="app-pw", hashing_algorithm=SHA512)],
        dict(
            import_={
                "users": [
                    {
                        "name": "app",
                        "password_hash": "FAKEHASH<%s:app-pw>" % SHA512,
                        "hashing_algorithm": SHA512,
                        "tags": [],
                    }
                ],
                "permissions": [],
            },
            created=["app"],
            updated=[],
            delete=[],
        ),
        id="create-with-password-sha512",
    ),
    pytest.param(
        [user("app", password_hash=OTHER_HASH, tags=["monitoring"])],
        dict(
            import_={
                "users": [
                    {"name": "app", "password_hash": OTHER_HASH, "hashing_algorithm": SHA256, "tags": ["monitoring"]}
                ],
                "permissions": [],
            },
            created=["app"],
            updated=[],
            delete=[],
        ),
        id="create-with-password-hash",
    ),
    pytest.param(
        [user("admin", password=ADMIN_PASSWORD)],
        dict(import_=None, created=[], updated=[], delete=[]),
        id="existing-matching-password",
    ),
    pytest.param(
        [user("admin", password=ADMIN_PASSWORD, tags=["administrator"], permissions=[perm("/")])],
        dict(import_=None, created=[], updated=[], delete=[]),
        id="existing-everything-unchanged",
    ),
    pytest.param(
        [user("admin", password="new-admin-pw")],
        dict(
            import_={
                "users": [
                    {
                        "name": "admin",
                        "password_hash": "FAKEHASH<%s:new-admin-pw>" % SHA256,
                        "hashing_algorithm": SHA256,
                        "tags": ["administrator"],
                        "limits": {},
                    }
                ],
                "permissions": [],
            },
            created=[],
            updated=["admin"],
            delete=[],
        ),
        id="existing-mismatching-password",
    ),
    pytest.param(
        [user("admin", password="new-admin-pw", update_password="on_create")],
        dict(import_=None, created=[], updated=[], delete=[]),
        id="on-create-keeps-existing-hash",
    ),
    pytest.param(
        [user("admin", password="new-admin-pw", update_password="on_create", tags=["monitoring"])],
        dict(
            import_={
                "users": [
                    {
                        "name": "admin",
                        "password_hash": ADMIN_HASH,
                        "hashing_algorithm": SHA256,
                        "tags": ["monitoring"],
                        "limits": {},
                    }
                ],
                "permissions": [],
            },
            created=[],
            updated=["admin"],
            delete=[],
        ),
        id="on-create-tags-change-keeps-existing-hash",
    ),
    pytest.param(
        [user("admin", password_hash=ADMIN_HASH)],
        dict(import_=None, created=[], updated=[], delete=[]),
        id="existing-same-password-hash",
    ),
    pytest.param(
        [user("admin", password_hash=OTHER_HASH)],
        dict(
            import_={
                "users": [
                    {
                        "name": "admin",
                        "password_hash": OTHER_HASH,
                        "hashing_algorithm": SHA256,
                        "tags": ["administrator"],
                        "limits": {},
                    }
                ],
                "permissions": [],
            },
            created=[],
            updated=["admin"],
            delete=[],
        ),
        id="existing-other-password-hash",
    ),
    pytest.param(
        [user("admin", tags=["monitoring", "administrator"])],
        dict(
            import_={
                "users": [
                    {
                        "name": "admin",
                        "password_hash": ADMIN_HASH,
                        "hashing_algorithm": SHA256,
                        "tags": ["administrator", "monitoring"],
                        "limits": {},
                    }
                ],
                "permissions": [],
            },
            created=[],
            updated=["admin"],
            delete=[],
        ),
        id="tags-change-only-keeps-password-hash",
    ),
    pytest.param(
        [user("admin", tags=[])],
        dict(
            import_={
                "users": [
                    {
                        "name": "admin",
                        "password_hash": ADMIN_HASH,
                        "hashing_algorithm": SHA256,
                        "tags": [],
                        "limits": {},
                    }
                ],
                "permissions": [],
            },
            created=[],
            updated=["admin"],
            delete=[],
        ),
        id="empty-tags-list-clears-tags",
    ),
    pytest.param(
        [user("legacy", password=LEGACY_PASSWORD, tags=["management", "monitoring"])],
        dict(import_=None, created=[], updated=[], delete=[]),
        id="comma-string-tags-equal-list-and-md5-hash-matches",
    ),
    pytest.param(
        [user("legacy", tags=["monitoring"])],
        dict(
            import_={
                "users": [
                    {"name": "legacy", "password_hash": LEGACY_HASH, "hashing_algorithm": MD5, "tags": ["monitoring"]}
                ],
                "permissions": [],
            },
            created=[],
            updated=["legacy"],
            delete=[],
        ),
        id="comma-string-tags-change",
    ),
    pytest.param(
        [user("legacy", password="new-legacy-pw")],
        dict(
            import_={
                "users": [
                    {
                        "name": "legacy",
                        "password_hash": "FAKEHASH<%s:new-legacy-pw>" % SHA256,
                        "hashing_algorithm": SHA256,
                        "tags": ["management", "monitoring"],
                    }
                ],
                "permissions": [],
            },
            created=[],
            updated=["legacy"],
            delete=[],
        ),
        id="md5-user-new-password-rehashed-with-requested-algorithm",
    ),
    pytest.param(
        [user("admin", permissions=[perm("/")])],
        dict(import_=None, created=[], updated=[], delete=[]),
        id="permission-unchanged",
    ),
    pytest.param(
        [user("admin", permissions=[perm("/", write="^amq\\.")])],
        dict(
            import_={"users": [], "permissions": [perm_entry("admin", "/", write="^amq\\.")]},
            created=[],
            updated=["admin"],
            delete=[],
        ),
        id="permission-change-only-permissions-imported",
    ),
    pytest.param(
        [user("admin", password=ADMIN_PASSWORD, permissions=[perm("/"), perm("apps", configure="^$")])],
        dict(
            import_={"users": [], "permissions": [perm_entry("admin", "apps", configure="^$")]},
            created=[],
            updated=["admin"],
            delete=[],
        ),
        id="permission-added-on-second-vhost",
    ),
    pytest.param(
        [user("guest", state="absent")],
        dict(import_=None, created=[], updated=[], delete=["guest"]),
        id="absent-existing-deleted",
    ),
    pytest.param(
        [user("nobody", state="absent")],
        dict(import_=None, created=[], updated=[], delete=[]),
        id="absent-missing-nothing",
    ),
    pytest.param(
        [user("nobody", state="absent", password="x", password_hash=OTHER_HASH)],
        dict(import_=None, created=[], updated=[], delete=[]),
        id="absent-ignores-password-options",
    ),
    pytest.param(
        [],
        dict(import_=None, created=[], updated=[], delete=[]),
        id="no-users",
    ),
    pytest.param(
        [
            user("app", password="app-pw", permissions=[perm("apps")]),
            user("admin", password=ADMIN_PASSWORD, tags=["administrator"]),
            user("guest", state="absent"),
            user("legacy", permissions=[perm("apps", configure=".*")]),
        ],
        dict(
            import_={
                "users": [
                    {
                        "name": "app",
                        "password_hash": "FAKEHASH<%s:app-pw>" % SHA256,
                        "hashing_algorithm": SHA256,
                        "tags": [],
                    }
                ],
                "permissions": [perm_entry("app", "apps"), perm_entry("legacy", "apps")],
            },
            created=["app"],
            updated=["legacy"],
            delete=["guest"],
        ),
        id="mixed",
    ),
]


@pytest.mark.parametrize("desired, expected", PLAN_CASES)
def test_plan(desired, expected):
    result = plan(definitions(), desired, hasher=fake_hasher)
    assert result["import"] == expected["import_"]
    assert result["created"] == expected["created"]
    assert result["updated"] == expected["updated"]
    assert result["delete"] == expected["delete"]


@pytest.mark.parametrize("desired, expected", PLAN_CASES)
def test_plan_views_never_hold_password_hashes(desired, expected):
    result = plan(definitions(), desired, hasher=fake_hasher)
    assert "password_hash" not in set(keys_anywhere(result["before"]))
    assert "password_hash" not in set(keys_anywhere(result["after"]))
    rendered = json.dumps([result["before"], result["after"]])
    for secret in (ADMIN_HASH, GUEST_HASH, LEGACY_HASH, OTHER_HASH, "FAKEHASH"):
        assert secret not in rendered
    for want in desired:
        if want.get("password"):
            assert want["password"] not in rendered


@pytest.mark.parametrize("desired, expected", PLAN_CASES)
def test_plan_does_not_mutate_its_inputs(desired, expected):
    current = definitions()
    current_copy = copy.deepcopy(current)
    desired_copy = copy.deepcopy(desired)
    plan(current, desired, hasher=fake_hasher)
    assert current == current_copy
    assert desired == desired_copy


def test_plan_matching_password_never_calls_hasher():
    hasher = mock.Mock(side_effect=AssertionError("hasher must not be called"))
    result = plan(definitions(), [user("admin", password=ADMIN_PASSWORD)], hasher=hasher)
    assert result["import"] is None
    assert "admin" not in result["updated"]
    hasher.assert_not_called()


def test_plan_uses_injected_hasher_with_algorithm():
    hasher = mock.Mock(return_value="H")
    plan(definitions(), [user("app", password="pw", hashing_algorithm=MD5)], hasher=hasher)
    hasher.assert_called_once_with("pw", MD5)


def test_plan_default_hasher_produces_a_matching_hash():
    result = plan(definitions(), [user("app", password="app-pw")])
    entry = result["import"]["users"][0]
    assert entry["hashing_algorithm"] == SHA256
    assert password_matches("app-pw", entry["password_hash"], SHA256)


def test_plan_diff_for_changed_password():
    result = plan(definitions(), [user("admin", password="new-admin-pw")], hasher=fake_hasher)
    assert result["before"]["admin"] == {
        "tags": ["administrator"],
        "permissions": {"/": {"configure": ".*", "write": ".*", "read": ".*"}},
        "password": "(previous)",
    }
    assert result["after"]["admin"] == {
        "tags": ["administrator"],
        "permissions": {"/": {"configure": ".*", "write": ".*", "read": ".*"}},
        "password": "(changed)",
    }
    rendered = json.dumps([result["before"], result["after"]])
    assert "new-admin-pw" not in rendered
    assert ADMIN_HASH not in rendered
    assert fake_hasher("new-admin-pw", SHA256) not in rendered


def test_plan_diff_for_unchanged_password_has_no_password_entry():
    result = plan(definitions(), [user("admin", password=ADMIN_PASSWORD)], hasher=fake_hasher)
    assert result["before"]["admin"] == result["after"]["admin"]
    assert "password" not in result["after"]["admin"]


def test_plan_diff_for_created_user():
    result = plan(
        definitions(),
        [user("app", password="app-pw", tags=["management"], permissions=[perm("apps", read="^r$")])],
        hasher=fake_hasher,
    )
    assert "app" not in result["before"]
    assert result["after"]["app"] == {
        "tags": ["management"],
        "permissions": {"apps": {"configure": ".*", "write": ".*", "read": "^r$"}},
    }


def test_plan_diff_for_deleted_user():
    result = plan(definitions(), [user("guest", state="absent")], hasher=fake_hasher)
    assert result["before"]["guest"]["tags"] == ["administrator"]
    assert "guest" not in result["after"]


def test_plan_diff_keeps_unmanaged_vhost_permissions():
    result = plan(definitions(), [user("legacy", permissions=[perm("/")])], hasher=fake_hasher)
    assert result["import"] == {"users": [], "permissions": [perm_entry("legacy", "/")]}
    assert result["after"]["legacy"]["permissions"] == {
        "apps": {"configure": "^$", "write": ".*", "read": ".*"},
        "/": {"configure": ".*", "write": ".*", "read": ".*"},
    }
    assert result["before"]["legacy"]["tags"] == ["management", "monitoring"]


def test_plan_permission_defaults_when_keys_are_missing():
    # plan() is also callable without AnsibleModule filling in defaults.
    result = plan(definitions(), [{"name": "app", "password": "pw", "permissions": [{}]}], hasher=fake_hasher)
    assert result["import"]["permissions"] == [perm_entry("app", "/")]
    assert result["import"]["users"][0]["hashing_algorithm"] == SHA256


def test_plan_existing_user_without_password():
    current = definitions()
    current["users"].append({"name": "nopw", "password_hash": "", "hashing_algorithm": SHA256, "tags": []})
    result = plan(current, [user("nopw", tags=["monitoring"])], hasher=fake_hasher)
    assert result["import"]["users"] == [
        {"name": "nopw", "password_hash": "", "hashing_algorithm": SHA256, "tags": ["monitoring"]}
    ]
    result = plan(current, [user("nopw", password="now-one")], hasher=fake_hasher)
    assert result["updated"] == ["nopw"]
    assert result["import"]["users"][0]["password_hash"] == fake_hasher("now-one", SHA256)


def test_plan_empty_definitions():
    result = plan({}, [user("app", password="pw")], hasher=fake_hasher)
    assert result["created"] == ["app"]
    with pytest.raises(PlanError, match="none"):
        plan({}, [user("app", password="pw", permissions=[perm("/")])], hasher=fake_hasher)


# --- plan(): errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    "desired, patterns",
    [
        pytest.param(
            [user("app", tags=["management"])],
            ["users[app]", "new user needs password or password_hash"],
            id="new-user-without-password",
        ),
        pytest.param(
            [user("app", password="pw", password_hash=OTHER_HASH)],
            ["users[app]", "mutually exclusive"],
            id="new-user-password-and-hash",
        ),
        pytest.param(
            [user("admin", password=ADMIN_PASSWORD, password_hash=ADMIN_HASH)],
            ["users[admin]", "mutually exclusive"],
            id="existing-user-password-and-hash",
        ),
        pytest.param(
            [user("app", password="pw", permissions=[perm("nope")])],
            ["users[app]", "'nope'", "does not exist", "/, apps"],
            id="new-user-permission-on-missing-vhost",
        ),
        pytest.param(
            [user("admin", permissions=[perm("/"), perm("missing-vhost")])],
            ["users[admin]", "'missing-vhost'", "does not exist"],
            id="existing-user-permission-on-missing-vhost",
        ),
        pytest.param(
            [user("admin", password="a"), user("guest", state="absent"), user("admin", state="absent")],
            ["duplicate", "admin"],
            id="duplicate-names",
        ),
        pytest.param(
            [user("b", password="x"), user("a", password="x"), user("b", password="x"), user("a", password="y")],
            ["duplicate user name(s) a, b"],
            id="duplicate-names-listed-sorted",
        ),
    ],
)
def test_plan_errors(desired, patterns):
    with pytest.raises(PlanError) as excinfo:
        plan(definitions(), desired, hasher=fake_hasher)
    for pattern in patterns:
        assert pattern in str(excinfo.value)


def test_plan_error_does_not_leak_password():
    with pytest.raises(PlanError) as excinfo:
        plan(definitions(), [user("app", password="Leaky-Pw", permissions=[perm("nope")])], hasher=fake_hasher)
    assert "Leaky-Pw" not in str(excinfo.value)


def test_plan_unsupported_stored_algorithm_is_a_plan_error():
    current = definitions()
    current["users"][0]["hashing_algorithm"] = "rabbit_password_hashing_sha384"
    with pytest.raises(PlanError, match=r"users\[admin\].*rabbit_password_hashing_sha384"):
        plan(current, [user("admin", password=ADMIN_PASSWORD)], hasher=fake_hasher)


def test_plan_error_is_a_value_error():
    assert issubclass(PlanError, ValueError)


# --- main() -------------------------------------------------------------------------

RABBITMQCTL = "/usr/sbin/rabbitmqctl"
EXPORT_CMD = [RABBITMQCTL, "-q", "export_definitions", "-", "--format", "json"]


class AnsibleExitJson(Exception):
    """Raised instead of exit_json's sys.exit; carries the result."""


class AnsibleFailJson(Exception):
    """Raised instead of fail_json's sys.exit; carries the result."""


def exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    raise AnsibleExitJson(kwargs)


def fail_json(self, **kwargs):
    kwargs["failed"] = True
    raise AnsibleFailJson(kwargs)


ImportSeen = collections.namedtuple("ImportSeen", "path content file_mode dir_mode")


class FakeRabbitmqctl(object):
    """Answers run_command like rabbitmqctl would, recording each call."""

    def __init__(self, export=None, failures=None):
        self.export = definitions() if export is None else export
        self.failures = failures or {}
        self.calls = []
        self.imports = []

    def __call__(self, cmd, *args, **kwargs):
        self.calls.append(list(cmd))
        assert not args and not kwargs, "unexpected run_command options: %r %r" % (args, kwargs)
        assert cmd[:2] == [RABBITMQCTL, "-q"]
        subcommand = next(a for a in cmd[2:] if a in ("export_definitions", "import_definitions", "delete_user"))
        if subcommand in self.failures:
            return self.failures[subcommand]
        if subcommand == "export_definitions":
            return 0, json.dumps(self.export), ""
        if subcommand == "import_definitions":
            index = cmd.index("import_definitions")
            path = cmd[index + 1]
            assert cmd[index + 2:] == ["--format", "json"]
            with open(path) as handle:
                content = json.load(handle)
            self.imports.append(
                ImportSeen(
                    path=path,
                    content=content,
                    file_mode=stat.S_IMODE(os.stat(path).st_mode),
                    dir_mode=stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode),
                )
            )
            return 0, "", ""
        return 0, "", ""


@pytest.fixture
def patched_module(monkeypatch):
    monkeypatch.setattr(AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(AnsibleModule, "fail_json", fail_json)
    get_bin_path = mock.Mock(return_value=RABBITMQCTL)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", get_bin_path)
    # Tests run as root; never chown to a real "rabbitmq" account.
    monkeypatch.setattr(cli, "_cli_user", lambda name="rabbitmq": None)
    return get_bin_path


def install_cli(monkeypatch, fake):
    run_command = mock.Mock(side_effect=fake)
    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    return run_command


def run_module(args, expect=AnsibleExitJson):
    with patch_module_args(args):
        with pytest.raises(expect) as excinfo:
            rabbitmq_cli_users.main()
    return excinfo.value.args[0]


def test_main_noop_runs_only_the_export(monkeypatch, patched_module):
    fake = FakeRabbitmqctl()
    run_command = install_cli(monkeypatch, fake)
    result = run_module(
        {
            "users": [
                {
                    "name": "admin",
                    "password": ADMIN_PASSWORD,
                    "tags": ["administrator"],
                    "permissions": [{"vhost": "/"}],
                },
                {"name": "nobody", "state": "absent"},
            ]
        }
    )
    assert result["changed"] is False
    assert result["created"] == [] and result["updated"] == [] and result["deleted"] == []
    assert "diff" not in result
    assert fake.calls == [EXPORT_CMD]
    run_command.assert_called_once_with(EXPORT_CMD)
    patched_module.assert_called_once_with("rabbitmqctl", required=True)


def test_main_check_mode_reports_change_but_runs_only_the_export(monkeypatch, patched_module):
    fake = FakeRabbitmqctl()
    install_cli(monkeypatch, fake)
    result = run_module(
        {
            "users": [
                {"name": "app", "password": "app-pw"},
                {"name": "admin", "password": "new-admin-pw"},
                {"name": "guest", "state": "absent"},
            ],
            "_ansible_check_mode": True,
        }
    )
    assert result["changed"] is True
    assert result["created"] == ["app"]
    assert result["updated"] == ["admin"]
    assert result["deleted"] == ["guest"]
    assert fake.calls == [EXPORT_CMD]
    assert fake.imports == []


def test_main_create_imports_a_private_temporary_file(monkeypatch, patched_module):
    fake = FakeRabbitmqctl()
    install_cli(monkeypatch, fake)
    result = run_module(
        {
            "users": [
                {
                    "name": "app",
                    "password": "app-Secret-1",
                    "tags": ["management"],
                    "permissions": [{"vhost": "apps", "read": "^app\\."}],
                }
            ]
        }
    )
    assert result["changed"] is True
    assert result["created"] == ["app"]
    assert result["updated"] == [] and result["deleted"] == []

    assert len(fake.calls) == 2
    assert fake.calls[0] == EXPORT_CMD
    assert len(fake.imports) == 1
    seen = fake.imports[0]
    assert fake.calls[1] == [RABBITMQCTL, "-q", "import_definitions", seen.path, "--format", "json"]
    assert os.path.basename(seen.path) == "definitions.json"
    assert os.path.basename(os.path.dirname(seen.path)).startswith("mqops-definitions-")

    assert seen.file_mode == 0o600
    assert seen.dir_mode == 0o700
    assert not os.path.exists(seen.path)
    assert not os.path.exists(os.path.dirname(seen.path))

    imported_users = seen.content["users"]
    assert len(imported_users) == 1
    entry = imported_users[0]
    assert set(entry) == {"name", "password_hash", "hashing_algorithm", "tags"}
    assert entry["name"] == "app"
    assert entry["hashing_algorithm"] == SHA256
    assert entry["tags"] == ["management"]
    assert password_matches("app-Secret-1", entry["password_hash"], SHA256)
    assert seen.content["permissions"] == [perm_entry("app", "apps", read="^app\\.")]

    # Neither the password nor its hash ever goes on a command line.
    for cmd in fake.calls:
        for arg in cmd:
            assert "app-Secret-1" not in arg
            assert entry["password_hash"] not in arg


def test_main_delete_runs_delete_user(monkeypatch, patched_module):
    fake = FakeRabbitmqctl()
    install_cli(monkeypatch, fake)
    result = run_module({"users": [{"name": "guest", "state": "absent"}]})
    assert result["changed"] is True
    assert result["deleted"] == ["guest"]
    assert result["created"] == [] and result["updated"] == []
    assert fake.calls == [EXPORT_CMD, [RABBITMQCTL, "-q", "delete_user", "guest"]]


def test_main_imports_before_deleting(monkeypatch, patched_module):
    fake = FakeRabbitmqctl()
    install_cli(monkeypatch, fake)
    result = run_module(
        {
            "users": [
                {"name": "admin", "password": "new-admin-pw", "tags": ["administrator"]},
                {"name": "guest", "state": "absent"},
                {"name": "legacy", "state": "absent"},
            ]
        }
    )
    assert result["changed"] is True
    assert result["updated"] == ["admin"]
    assert result["deleted"] == ["guest", "legacy"]
    assert [cmd[2] for cmd in fake.calls] == [
        "export_definitions",
        "import_definitions",
        "delete_user",
        "delete_user",
    ]
    assert fake.calls[2:] == [
        [RABBITMQCTL, "-q", "delete_user", "guest"],
        [RABBITMQCTL, "-q", "delete_user", "legacy"],
    ]
    entry = fake.imports[0].content["users"][0]
    assert entry["name"] == "admin"
    assert entry["limits"] == {}
    assert password_matches("new-admin-pw", entry["password_hash"])


def test_main_node_option_is_passed_to_every_call(monkeypatch, patched_module):
    fake = FakeRabbitmqctl()
    install_cli(monkeypatch, fake)
    run_module({"users": [{"name": "guest", "state": "absent"}], "node": "rabbit@mq1"})
    assert fake.calls == [
        [RABBITMQCTL, "-q", "-n", "rabbit@mq1", "export_definitions", "-", "--format", "json"],
        [RABBITMQCTL, "-q", "-n", "rabbit@mq1", "delete_user", "guest"],
    ]


def test_main_export_failure_fails_with_rc(monkeypatch, patched_module):
    fake = FakeRabbitmqctl(failures={"export_definitions": (69, "", "Error: unable to perform an operation on node")})
    install_cli(monkeypatch, fake)
    result = run_module({"users": [{"name": "guest", "state": "absent"}]}, expect=AnsibleFailJson)
    assert result["failed"] is True
    assert result["rc"] == 69
    assert result["stderr"] == "Error: unable to perform an operation on node"
    assert "export_definitions" in result["msg"]
    assert "rc=69" in result["msg"]
    assert "unable to perform an operation on node" in result["msg"]
    assert fake.calls == [EXPORT_CMD]


def test_main_import_failure_fails_with_rc_and_removes_the_file(monkeypatch, patched_module):
    seen = []
    fake = FakeRabbitmqctl()

    def failing_import(cmd, *args, **kwargs):
        if "import_definitions" in cmd:
            path = cmd[cmd.index("import_definitions") + 1]
            seen.append(path)
            assert os.path.exists(path)
            fake.calls.append(list(cmd))
            return 2, "", "Error: validation failed"
        return fake(cmd, *args, **kwargs)

    install_cli(monkeypatch, failing_import)
    result = run_module(
        {"users": [{"name": "app", "password": "app-pw"}, {"name": "guest", "state": "absent"}]},
        expect=AnsibleFailJson,
    )
    assert result["failed"] is True
    assert result["rc"] == 2
    assert result["stderr"] == "Error: validation failed"
    assert "app-pw" not in json.dumps(result)
    # The delete is not attempted after a failed import.
    assert [cmd[2] for cmd in fake.calls] == ["export_definitions", "import_definitions"]
    assert len(seen) == 1
    assert not os.path.exists(seen[0])
    assert not os.path.exists(os.path.dirname(seen[0]))


def test_main_delete_failure_fails_with_rc(monkeypatch, patched_module):
    fake = FakeRabbitmqctl(failures={"delete_user": (70, "", "Error: user busy")})
    install_cli(monkeypatch, fake)
    result = run_module({"users": [{"name": "guest", "state": "absent"}]}, expect=AnsibleFailJson)
    assert result["rc"] == 70
    assert "delete_user guest" in result["msg"]


def test_main_plan_error_fails_without_changes(monkeypatch, patched_module):
    fake = FakeRabbitmqctl()
    install_cli(monkeypatch, fake)
    result = run_module(
        {"users": [{"name": "app", "password": "pw", "permissions": [{"vhost": "nope"}]}]},
        expect=AnsibleFailJson,
    )
    assert result["failed"] is True
    assert "users[app]" in result["msg"]
    assert "'nope'" in result["msg"]
    assert "rc" not in result
    assert fake.calls == [EXPORT_CMD]


def test_main_new_user_without_password_fails(monkeypatch, patched_module):
    fake = FakeRabbitmqctl()
    install_cli(monkeypatch, fake)
    result = run_module({"users": [{"name": "app"}]}, expect=AnsibleFailJson)
    assert "users[app]" in result["msg"]
    assert fake.calls == [EXPORT_CMD]


def test_main_invalid_arguments_fail_before_any_command(monkeypatch, patched_module):
    fake = FakeRabbitmqctl()
    run_command = install_cli(monkeypatch, fake)
    result = run_module({"users": [{"name": "app", "state": "gone"}]}, expect=AnsibleFailJson)
    assert "state" in result["msg"]
    run_command.assert_not_called()
    patched_module.assert_not_called()


def test_main_result_never_contains_passwords_or_hashes(monkeypatch, patched_module):
    fake = FakeRabbitmqctl()
    install_cli(monkeypatch, fake)
    result = run_module(
        {
            "users": [
                {"name": "app", "password": "Create-Secret-9", "tags": ["management"]},
                {"name": "admin", "password": "Update-Secret-7"},
                {"name": "hashed", "password_hash": OTHER_HASH},
            ],
            "_ansible_diff": True,
        }
    )
    assert result["changed"] is True
    assert result["created"] == ["app", "hashed"]
    assert result["updated"] == ["admin"]
    assert result["diff"]["after"]["admin"]["password"] == "(changed)"
    assert result["diff"]["before"]["admin"]["password"] == "(previous)"

    rendered = json.dumps(result)
    imported = fake.imports[0].content["users"]
    secrets = ["Create-Secret-9", "Update-Secret-7", ADMIN_HASH, OTHER_HASH]
    secrets += [entry["password_hash"] for entry in imported]
    for secret in secrets:
        assert secret not in rendered
    assert "password_hash" not in set(keys_anywhere(result))


def test_main_diff_mode_noop(monkeypatch, patched_module):
    fake = FakeRabbitmqctl()
    install_cli(monkeypatch, fake)
    result = run_module({"users": [{"name": "admin", "password": ADMIN_PASSWORD}], "_ansible_diff": True})
    assert result["changed"] is False
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["diff"]["after"]["admin"]["tags"] == ["administrator"]
    assert fake.calls == [EXPORT_CMD]


def test_main_chowns_the_file_to_the_cli_user(monkeypatch, patched_module):
    owner = mock.Mock(pw_uid=4242, pw_gid=4343)
    monkeypatch.setattr(cli, "_cli_user", lambda name="rabbitmq": owner)
    chown = mock.Mock()
    monkeypatch.setattr(cli.os, "chown", chown)
    fake = FakeRabbitmqctl()
    install_cli(monkeypatch, fake)
    run_module({"users": [{"name": "app", "password": "pw"}]})
    path = fake.imports[0].path
    assert chown.call_args_list == [
        mock.call(os.path.dirname(path), 4242, 4343),
        mock.call(path, 4242, 4343),
    ]


def test_documentation_matches_the_argument_spec():
    documented = module_docs.doc_options(module_docs.module_documentation("rabbitmq_cli_users")["options"])
    assert documented == module_docs.spec_options(rabbitmq_cli_users.ARGUMENT_SPEC)


# --- the management API fast path ----------------------------------------------------

API_URL = "http://127.0.0.1:15672"
ADMIN = {"name": "admin", "password": ADMIN_PASSWORD, "tags": ["administrator"], "permissions": [{"vhost": "/"}]}


class FakeApi(object):
    """Replaces ManagementApi.get: answers from an export, or fails like an unreachable listener."""

    def __init__(self, export=None, error=None):
        self.export = definitions() if export is None else export
        self.error = error
        self.logins = []
        self.paths = []

    def install(self, monkeypatch):
        fake = self
        original_init = rabbitmq_cli_users.ManagementApi.__init__

        def init(api, url, user, password, **kwargs):
            fake.logins.append((url, user, password, kwargs))
            original_init(api, url, user, password, **kwargs)

        def get(api, path):
            fake.paths.append(path)
            if fake.error is not None:
                raise fake.error
            return fake.export[path.split("/")[-1]]

        monkeypatch.setattr(rabbitmq_cli_users.ManagementApi, "__init__", init)
        monkeypatch.setattr(rabbitmq_cli_users.ManagementApi, "get", get)


def test_api_noop_runs_no_cli_tool(monkeypatch, patched_module):
    fake_cli = FakeRabbitmqctl()
    run_command = install_cli(monkeypatch, fake_cli)
    api = FakeApi()
    api.install(monkeypatch)
    result = run_module({"users": [ADMIN, {"name": "nobody", "state": "absent"}], "api_url": API_URL, "_ansible_diff": True})
    assert result["changed"] is False and result["read_from"] == "api"
    assert run_command.call_count == 0
    assert sorted(api.paths) == ["/api/permissions", "/api/users", "/api/vhosts"]
    # Logged in as the declared administrator, with a short timeout.
    assert api.logins == [(API_URL, "admin", ADMIN_PASSWORD,
                           {"timeout": rabbitmq_cli_users.API_READ_TIMEOUT, "validate_certs": True, "ca_path": None,
                            "client_cert": None, "client_key": None, "use_proxy": True})]
    assert result["diff"]["before"] == result["diff"]["after"]
    assert ADMIN_PASSWORD not in json.dumps(result)


@pytest.mark.parametrize("change", [
    {"password": "a-new-admin-password"},
    {"tags": ["administrator", "monitoring"]},
    {"permissions": [{"vhost": "/", "configure": "^$"}]},
])
def test_api_read_showing_a_change_goes_through_the_cli(monkeypatch, patched_module, change):
    fake_cli = FakeRabbitmqctl()
    install_cli(monkeypatch, fake_cli)
    FakeApi().install(monkeypatch)
    result = run_module({"users": [dict(ADMIN, **change)], "api_url": API_URL})
    assert result["changed"] is True and result["read_from"] == "cli"
    assert fake_cli.calls[0] == EXPORT_CMD
    assert len(fake_cli.imports) == 1


def test_api_user_to_delete_goes_through_the_cli(monkeypatch, patched_module):
    fake_cli = FakeRabbitmqctl()
    install_cli(monkeypatch, fake_cli)
    FakeApi().install(monkeypatch)
    guest = [u["name"] for u in definitions()["users"] if u["name"] != "admin"][0]
    result = run_module({"users": [ADMIN, {"name": guest, "state": "absent"}], "api_url": API_URL})
    assert result["changed"] is True and result["deleted"] == [guest] and result["read_from"] == "cli"


@pytest.mark.parametrize("error", [
    rabbitmq_cli_users.ApiError("GET", "/api/users", 401, "Not_Authorized"),
    rabbitmq_cli_users.ApiError("GET", "/api/users", None, "Connection refused"),
])
def test_api_failure_falls_back_to_the_cli(monkeypatch, patched_module, error):
    fake_cli = FakeRabbitmqctl()
    install_cli(monkeypatch, fake_cli)
    FakeApi(error=error).install(monkeypatch)
    result = run_module({"users": [ADMIN], "api_url": API_URL})
    assert result["changed"] is False and result["read_from"] == "cli"
    assert fake_cli.calls == [EXPORT_CMD]


def test_api_not_tried_without_a_password_to_log_in_with(monkeypatch, patched_module):
    fake_cli = FakeRabbitmqctl()
    install_cli(monkeypatch, fake_cli)
    api = FakeApi()
    api.install(monkeypatch)
    result = run_module({"users": [{"name": "guest", "state": "absent"}], "api_url": API_URL})
    assert api.logins == [] and result["read_from"] == "cli"


def test_api_read_presents_the_client_certificate(monkeypatch, patched_module, pki):
    fake_cli = FakeRabbitmqctl()
    run_command = install_cli(monkeypatch, fake_cli)
    api = FakeApi()
    api.install(monkeypatch)
    result = run_module({"users": [ADMIN], "api_url": "https://localhost:15671", "ca_path": pki["ca.pem"],
                         "client_cert": pki["client.pem"], "client_key": pki["client.key"]})
    assert result["read_from"] == "api" and run_command.call_count == 0
    assert api.logins == [("https://localhost:15671", "admin", ADMIN_PASSWORD,
                           {"timeout": rabbitmq_cli_users.API_READ_TIMEOUT, "validate_certs": True,
                            "ca_path": pki["ca.pem"], "client_cert": pki["client.pem"],
                            "client_key": pki["client.key"], "use_proxy": True})]


@pytest.mark.parametrize("files, expected", [
    ({"client_cert": "client.pem", "client_key": "/nonexistent/client.key"},
     "client_key /nonexistent/client.key: no such file"),
    ({"client_cert": "client.pem", "client_key": "stranger.key"},
     "client_key {stranger.key}: not the private key of the certificate in {client.pem}"),
], ids=["key-missing", "key-mismatch"])
def test_unusable_tls_files_fail_instead_of_falling_back(monkeypatch, patched_module, pki, files, expected):
    fake_cli = FakeRabbitmqctl()
    run_command = install_cli(monkeypatch, fake_cli)
    api = FakeApi()
    api.install(monkeypatch)
    args = dict((option, pki.get(name, name)) for option, name in files.items())
    result = run_module(dict(args, users=[dict(ADMIN, password="a-new-admin-password")], api_url=API_URL),
                        expect=AnsibleFailJson)
    for name, path in pki.items():
        expected = expected.replace("{%s}" % name, path)
    assert result["msg"].startswith("TLS files unusable, nothing was changed: " + expected)
    assert api.logins == [] and run_command.call_count == 0
    assert ADMIN_PASSWORD not in json.dumps(result) and "a-new-admin-password" not in json.dumps(result)


def test_tls_files_are_not_read_without_api_url(monkeypatch, patched_module):
    fake_cli = FakeRabbitmqctl()
    install_cli(monkeypatch, fake_cli)
    result = run_module({"users": [ADMIN], "client_cert": "/nonexistent/c.pem", "client_key": "/nonexistent/c.key"})
    assert result["read_from"] == "cli" and fake_cli.calls == [EXPORT_CMD]


def test_client_cert_needs_client_key(monkeypatch, patched_module, pki):
    install_cli(monkeypatch, FakeRabbitmqctl())
    result = run_module({"users": [ADMIN], "api_url": API_URL, "client_cert": pki["client.pem"]},
                        expect=AnsibleFailJson)
    assert result["msg"] == "parameters are required together: client_cert, client_key"


class RacingRabbitmqctl(FakeRabbitmqctl):
    """Another node of the cluster makes the same change between this node's
    export and its import or deletion: that call fails the first time (as
    RabbitMQ reports it) and the next export shows the other node's change."""

    def __init__(self, subcommand, error, after):
        super(RacingRabbitmqctl, self).__init__(failures={subcommand: (69, "", error)})
        self.after = after

    def __call__(self, cmd, *args, **kwargs):
        result = super(RacingRabbitmqctl, self).__call__(cmd, *args, **kwargs)
        if any(sub in cmd for sub in self.failures):
            self.failures = {}
            self.export = self.after
        return result


def test_main_user_created_meanwhile_by_another_node_is_read_again(monkeypatch, patched_module):
    app = {"name": "app", "password": "app-Secret-1", "tags": ["management"],
           "permissions": [{"vhost": "apps", "read": "^app\\."}]}
    # What the other node's import left: the same user, password and permissions.
    after = definitions()
    after["users"].append({"name": "app", "password_hash": hash_password("app-Secret-1"),
                           "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["management"]})
    after["permissions"].append({"user": "app", "vhost": "apps", "configure": ".*", "write": ".*", "read": "^app\\."})
    fake = RacingRabbitmqctl("import_definitions", "Error:\n{user_already_exists,<<\"app\">>}", after)
    install_cli(monkeypatch, fake)
    result = run_module({"users": [app]})
    # This node changed nothing: the other one did.
    assert result["changed"] is False and result["created"] == []
    subcommands = [c[2] for c in fake.calls]
    assert subcommands == ["export_definitions", "import_definitions", "export_definitions"]


def test_main_user_deleted_meanwhile_by_another_node_is_read_again(monkeypatch, patched_module):
    after = definitions()
    after["users"] = [user for user in after["users"] if user["name"] != "guest"]
    fake = RacingRabbitmqctl("delete_user", 'Error:\nUser "guest" does not exist', after)
    install_cli(monkeypatch, fake)
    result = run_module({"users": [{"name": "guest", "state": "absent"}]})
    assert result["changed"] is False
    assert [c[2] for c in fake.calls] == ["export_definitions", "delete_user", "export_definitions"]


def test_main_other_import_errors_are_not_retried(monkeypatch, patched_module):
    fake = FakeRabbitmqctl(failures={"import_definitions": (69, "", "Error:\n{badarg, ...}")})
    install_cli(monkeypatch, fake)
    result = run_module({"users": [{"name": "app", "password": "app-Secret-1"}]}, expect=AnsibleFailJson)
    assert "badarg" in result["msg"]
    assert [c[2] for c in fake.calls] == ["export_definitions", "import_definitions"]


def test_main_a_race_that_never_settles_fails_after_the_last_attempt(monkeypatch, patched_module):
    fake = FakeRabbitmqctl(failures={"import_definitions": (69, "", "Error:\n{user_already_exists,<<\"app\">>}")})
    install_cli(monkeypatch, fake)
    result = run_module({"users": [{"name": "app", "password": "app-Secret-1"}]}, expect=AnsibleFailJson)
    assert "user_already_exists" in result["msg"]
    assert [c[2] for c in fake.calls].count("import_definitions") == rabbitmq_cli_users.RACE_ATTEMPTS
