"""Every role's defaults/main.yml and meta/argument_specs.yml agree.

The argument spec is the roles' input validation and their variable docs, so
a default that is not in the spec (or differs from it) is a documentation bug.
"""

import pathlib

import pytest
import yaml

from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.registry import ALL

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())


def _load(path):
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_role_has_an_argument_spec(role):
    spec = _load(role / "meta" / "argument_specs.yml")
    assert "main" in spec.get("argument_specs", {}), "%s has no main entry point spec" % role.name


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_defaults_match_argument_spec(role):
    defaults = _load(role / "defaults" / "main.yml")
    options = _load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]

    undocumented = sorted(set(defaults) - set(options))
    assert not undocumented, "defaults without a spec entry: %s" % undocumented

    for name, option in options.items():
        assert name.startswith(role.name + "_"), "%s is not prefixed with the role name" % name
        assert option.get("type"), "%s has no type" % name
        assert option.get("description"), "%s has no description" % name
        if option.get("required"):
            assert name not in defaults, "%s is required but has a default" % name
            assert "default" not in option, "%s is required but the spec gives a default" % name
            continue
        assert name in defaults, "%s is in the spec but not in defaults/main.yml" % name
        if option.get("no_log") and "{{" in str(defaults[name]):
            # A failed validation prints the spec with its defaults rendered:
            # a secret's templated default (e.g. "{{ rabbitmq_server_admin_password }}")
            # would print the secret.
            assert "default" not in option, "%s is no_log with a templated default: keep it out of the spec" % name
            continue
        assert option.get("default") == defaults[name], (
            "%s: spec default %r != defaults/main.yml %r" % (name, option.get("default"), defaults[name])
        )


def test_definitions_role_options_follow_the_module_kinds():
    """Each rabbitmq_definitions_<kind> variable has the options of the module's kind (types, defaults, choices)."""
    role = _load(ROOT / "roles" / "rabbitmq_definitions" / "meta" / "argument_specs.yml")
    options = role["argument_specs"]["main"]["options"]

    def fields(table):
        result = {}
        for name, option in table.items():
            entry = dict((k, option.get(k)) for k in ("type", "elements", "default", "choices", "required"))
            entry["options"] = fields(option["options"]) if option.get("options") else None
            result[name] = entry
        return result

    for kind in ALL:
        variable = options["rabbitmq_definitions_" + kind.name]
        assert (variable["type"], variable.get("elements")) == ("list", "dict"), kind.name
        assert fields(variable["options"]) == fields(kind.options), kind.name
    assert sorted(options["rabbitmq_definitions_purge"]["options"]) == sorted(kind.name for kind in ALL)
