# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Every version_added agrees with the releases and with galaxy.yml.

The rule (README.md, "Changelog and version_added"):

* every module and plugin under plugins/ declares a top-level version_added,
  and every role declares one on its main entry point
  (meta/argument_specs.yml): antsibull-changelog lists a module, plugin or
  role as new in the release its version_added names. module_utils and
  doc_fragments are not plugins a user calls and carry none at top level;
* every version_added, at any depth (entry points, options, suboptions,
  return values, attributes, doc fragments' options), is a string naming a
  release recorded in changelogs/changelog.yaml or galaxy.yml's version (the
  release being prepared), so never later than galaxy.yml's version, and not
  earlier than the version_added of the plugin or role it belongs to;
* a module, plugin or role whose version_added names a recorded release is
  listed as new in that release of changelogs/changelog.yaml;
* galaxy.yml's version is not older than the last recorded release, and is
  newer when fragments wait in changelogs/fragments/ (they are released as
  galaxy.yml's version).

`make changelog-lint` runs antsibull-changelog's own checks (fragments,
changelog.yaml, CHANGELOG.md generated from it); this file needs only what
ansible-core brings, so it also runs on every ansible-core of the matrix.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import pathlib

import pytest
import yaml
from ansible.utils.version import SemanticVersion

ROOT = pathlib.Path(__file__).resolve().parents[2]
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
COLLECTION = "%s.%s" % (GALAXY["namespace"], GALAXY["name"])
CHANGELOG = yaml.safe_load((ROOT / "changelogs" / "changelog.yaml").read_text()) or {}
RELEASES = CHANGELOG.get("releases") or {}
FRAGMENTS = ROOT / "changelogs" / "fragments"
# plugins/ subdirectories that hold no plugin of their own.
NOT_PLUGINS = {"module_utils", "plugin_utils", "doc_fragments", "__pycache__"}


def _version(text):
    return SemanticVersion(text)


GALAXY_VERSION = _version(GALAXY["version"])
KNOWN = set(RELEASES) | {GALAXY["version"]}


def version_problems(where, value, floor=None):
    """What is wrong with one version_added value (an empty list when nothing)."""
    if not isinstance(value, str):
        return ["%s: version_added %r is a %s, not a string (quote it)" % (where, value, type(value).__name__)]
    try:
        version = _version(value)
    except ValueError:
        return ["%s: version_added %r is not a semantic version" % (where, value)]
    problems = []
    if version > GALAXY_VERSION:
        problems.append("%s: version_added %s is later than galaxy.yml's version %s" % (where, value, GALAXY["version"]))
    elif value not in KNOWN:
        problems.append("%s: version_added %s is neither a release in changelogs/changelog.yaml (%s) nor galaxy.yml's "
                        "version %s" % (where, value, ", ".join(sorted(RELEASES, key=_version)) or "none", GALAXY["version"]))
    if floor is not None and version < _version(floor):
        problems.append("%s: version_added %s is earlier than the %s of what it belongs to" % (where, value, floor))
    return problems


def nested_problems(where, entries, floor, children=("suboptions", "options", "contains")):
    """version_added of options, suboptions and return values at any depth."""
    problems = []
    for name, entry in (entries or {}).items():
        if not isinstance(entry, dict):
            continue
        here = "%s.%s" % (where, name)
        own = floor
        if "version_added" in entry:
            own_problems = version_problems(here, entry["version_added"], floor)
            problems += own_problems
            if not own_problems:
                own = entry["version_added"]
        for key in children:
            problems += nested_problems(here, entry.get(key), own, children)
    return problems


def doc_problems(where, doc, required=True):
    """A plugin's DOCUMENTATION: its own version_added, then everything under it."""
    problems = []
    top = doc.get("version_added")
    if top is None:
        if required:
            problems.append("%s: DOCUMENTATION has no version_added (a new plugin names the release it is added in: %s)"
                            % (where, GALAXY["version"]))
    else:
        problems += version_problems(where, top)
    floor = top if isinstance(top, str) and not problems else None
    for key in ("options", "attributes"):
        problems += nested_problems(where, doc.get(key), floor)
    return problems


def _plugins():
    for kind_dir in sorted(p for p in (ROOT / "plugins").iterdir() if p.is_dir() and p.name not in NOT_PLUGINS):
        # Modules may sit in subdirectories; other plugin types may not.
        files = kind_dir.rglob("*.py") if kind_dir.name == "modules" else kind_dir.glob("*.py")
        for path in sorted(files):
            if path.name != "__init__.py":
                yield path


def _import(path):
    dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return importlib.import_module("ansible_collections.%s.%s" % (COLLECTION, dotted))


def _plugin_docs(path):
    """DOCUMENTATION and RETURN of a plugin, from its code or a YAML file beside it."""
    module = _import(path)
    docs = {"DOCUMENTATION": getattr(module, "DOCUMENTATION", None), "RETURN": getattr(module, "RETURN", None)}
    for sidecar in (path.with_suffix(".yml"), path.with_suffix(".yaml")):
        if docs["DOCUMENTATION"] is None and sidecar.exists():
            data = yaml.safe_load(sidecar.read_text()) or {}
            docs = {"DOCUMENTATION": yaml.safe_dump(data.get("DOCUMENTATION")), "RETURN": yaml.safe_dump(data.get("RETURN"))}
    return dict((k, yaml.safe_load(v) if isinstance(v, str) else v) for k, v in docs.items())


def _listed(version, plugin_type, name, category="plugins"):
    """Whether changelog.yaml lists the plugin or role as new in that release."""
    release = RELEASES.get(version) or {}
    if category == "modules":
        entries = release.get("modules") or []
    else:
        entries = (release.get(category) or {}).get(plugin_type) or []
    return name in [entry.get("name") for entry in entries]


PLUGINS = list(_plugins())
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists())


@pytest.mark.parametrize("path", PLUGINS, ids=lambda p: str(p.relative_to(ROOT / "plugins")))
def test_plugin_version_added(path):
    where = str(path.relative_to(ROOT))
    docs = _plugin_docs(path)
    assert isinstance(docs["DOCUMENTATION"], dict), "%s has no DOCUMENTATION" % where
    problems = doc_problems(where, docs["DOCUMENTATION"])
    top = docs["DOCUMENTATION"].get("version_added")
    problems += nested_problems(where + " RETURN", docs["RETURN"], top if isinstance(top, str) else None)
    plugin_type = path.relative_to(ROOT / "plugins").parts[0]
    name = docs["DOCUMENTATION"].get("module" if plugin_type == "modules" else "name") or path.stem
    if top in RELEASES and not _listed(top, plugin_type, name, "modules" if plugin_type == "modules" else "plugins"):
        problems.append("%s: version_added %s, but changelogs/changelog.yaml does not list %s as new in %s"
                        % (where, top, name, top))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", sorted((ROOT / "plugins" / "doc_fragments").glob("*.py")), ids=lambda p: p.stem)
def test_doc_fragment_version_added(path):
    fragment = _import(path).ModuleDocFragment
    problems = []
    for attribute in sorted(a for a in vars(fragment) if a.isupper() and isinstance(getattr(fragment, a), str)):
        where = "%s %s" % (path.relative_to(ROOT), attribute)
        doc = yaml.safe_load(getattr(fragment, attribute)) or {}
        if "version_added" in doc:
            problems.append("%s: a doc fragment carries no top-level version_added (the module using it has its own)" % where)
        problems += doc_problems(where, doc, required=False)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_role_version_added(role):
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    where = "roles/%s/meta/argument_specs.yml" % role.name
    main = specs.get("main") or {}
    problems = []
    if "version_added" not in main:
        problems.append("%s: the main entry point has no version_added (a new role names the release it is added in: %s)"
                        % (where, GALAXY["version"]))
    else:
        problems += version_problems(where + " main", main["version_added"])
    role_floor = main.get("version_added") if isinstance(main.get("version_added"), str) and not problems else None
    for entry_name, entry in sorted(specs.items()):
        here = "%s %s" % (where, entry_name)
        floor = role_floor
        if entry_name != "main" and "version_added" in entry:
            entry_problems = version_problems(here, entry["version_added"], role_floor)
            problems += entry_problems
            if not entry_problems:
                floor = entry["version_added"]
        problems += nested_problems(here, entry.get("options"), floor)
    if role_floor in RELEASES and not _listed(role_floor, "role", role.name, "objects"):
        problems.append("%s: version_added %s, but changelogs/changelog.yaml does not list role %s as new in %s"
                        % (where, role_floor, role.name, role_floor))
    assert not problems, "\n".join(problems)


def test_galaxy_version_follows_the_releases():
    pending = sorted(p.name for p in FRAGMENTS.iterdir() if p.suffix in (".yml", ".yaml")) if FRAGMENTS.is_dir() else []
    if not RELEASES:
        return
    last = max(RELEASES, key=_version)
    assert GALAXY_VERSION >= _version(last), "galaxy.yml says %s, older than the last release %s" % (GALAXY["version"], last)
    assert not pending or GALAXY_VERSION > _version(last), (
        "changelogs/fragments/ holds %s for the next release, but galaxy.yml still says %s, released already: set "
        "galaxy.yml's version to the next one (patch for fixes only, minor for new features, major for breaking "
        "changes; README.md, 'Changelog and version_added')" % (", ".join(pending), GALAXY["version"])
    )


# The checks above fail when they should: what each rule refuses.
@pytest.mark.parametrize("doc, expected", [
    ({}, "has no version_added"),
    ({"version_added": "99.0.0"}, "later than galaxy.yml's version"),
    ({"version_added": 1.0}, "not a string"),
    ({"version_added": "one"}, "not a semantic version"),
    ({"version_added": "0.0.1"}, "neither a release"),
    ({"version_added": GALAXY["version"], "options": {"a": {"version_added": "99.0.0"}}}, "x.a: version_added 99.0.0"),
    ({"version_added": GALAXY["version"], "options": {"a": {"suboptions": {"b": {"version_added": "99.0.0"}}}}},
     "x.a.b: version_added 99.0.0"),
])
def test_the_rule_refuses(doc, expected):
    problems = doc_problems("x", doc)
    assert any(expected in p for p in problems), problems


def test_the_rule_refuses_an_option_older_than_its_plugin():
    problems = nested_problems("x", {"a": {"version_added": "0.1.0"}}, GALAXY["version"])
    assert any("x.a: version_added 0.1.0 is earlier than" in p for p in problems), problems
