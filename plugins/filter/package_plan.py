# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Decide a node's RabbitMQ/Erlang version change before anything changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import functools
import re

from ansible_collections.mqops.rabbitmq.plugins.module_utils import versions as v

DOCUMENTATION = r"""
name: package_plan
short_description: The version change a RabbitMQ node is asked for, and whether RabbitMQ supports it in place
version_added: 1.0.0
description:
  - Reads C(apt-cache policy rabbitmq-server erlang-base) and the installed
    packages (C(dpkg-query -W)), resolves the versions the role's variables
    ask for (version pins with apt wildcards, C(latest)), and classifies the
    change with the tables of C(plugins/module_utils/versions.py) - a patch
    release within a series, an adjacent series of RabbitMQ's upgrade table
    (with every stable feature flag enabled first), an Erlang release within
    the target's supported range - or refused, with the installed and
    requested versions, the supported path and the alternative.
  - The result lists the exact C(package=version) strings to install on the
    node during its (one at a time) restart.
options:
  _input:
    description: Output of C(LANG=C apt-cache policy rabbitmq-server erlang-base).
    type: str
    required: true
  installed:
    description: >-
      Output of C(dpkg-query -W -f='${Package} ${Version} ${db:Status-Status}\n' rabbitmq-server 'erlang-*').
    type: str
    required: true
  settings:
    description:
      - C(host), C(version) and C(erlang_version) (apt version pins, may be
        empty), C(state) (C(present) or C(latest)), C(server_urls) and
        C(erlang_urls) (repositories the packages must come from; empty - any
        source), C(feature_flags) (the node's C(cluster_status) flags).
    type: dict
    required: true
"""

RETURN = r"""
_value:
  description:
    - C(change) (bool), C(allowed) (bool), C(kind) (V(none), V(patch),
      V(series), V(erlang)), C(message), C(rabbitmq) and C(erlang) (each
      C(installed), C(target) package versions and their upstream releases),
      C(packages) (C(name=version) to install), C(enable_feature_flags) (bool).
  type: dict
"""

_PACKAGE = re.compile(r"^(\S+):$")
_VERSION = re.compile(r"^ (?:\*\*\*| {3}) (\S+) (-?\d+)$")
_SOURCE = re.compile(r"^\s+(-?\d+) (\S+)(?: (\S+))?")

MIGRATE = ("Alternatively move to a new cluster of the target version (blue-green migration: a new "
           "cluster on the target series, definitions and messages moved to it, clients switched; "
           "playbooks/migrate.yml).")


def parse_policy(text):
    """{package: {version: [source URL, ...]}} from apt-cache policy output."""
    packages, package, version = {}, None, None
    for line in (text or "").splitlines():
        match = _PACKAGE.match(line)
        if match:
            package, version = match.group(1), None
            packages[package] = {}
            continue
        match = _VERSION.match(line)
        if match and package:
            version = match.group(1)
            packages[package][version] = []
            continue
        match = _SOURCE.match(line)
        if match and package and version and "://" in match.group(2):
            packages[package][version].append(match.group(2).rstrip("/"))
    return packages


def parse_installed(text):
    """{package: version} of the installed packages in dpkg-query output."""
    result = {}
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[-1] == "installed":
            result[parts[0]] = parts[1]
    return result


def _newest(candidates):
    return max(candidates, key=functools.cmp_to_key(v.debian_compare)) if candidates else None


def resolve(installed, pattern, available, latest):
    """The package version to run: installed when it satisfies the request, else the newest match (or None)."""
    if installed and not latest and (not pattern or fnmatch.fnmatchcase(installed, pattern)):
        return installed
    matching = [ver for ver in available if not pattern or fnmatch.fnmatchcase(ver, pattern)]
    if latest and installed and (not pattern or fnmatch.fnmatchcase(installed, pattern)):
        matching.append(installed)
    return _newest(matching)


def _offered(available, urls):
    """Versions offered by one of the URLs (every version when no URL is given)."""
    wanted = [url.rstrip("/") for url in urls or []]
    return [ver for ver, sources in available.items() if not wanted or any(s in wanted for s in sources)]


def _requested(name, pattern, latest):
    if pattern:
        return '%s "%s"' % (name, pattern)
    return "rabbitmq_server_package_state latest" if latest else name


def package_plan(policy, installed, settings):
    """The plan for one node (see RETURN)."""
    host = settings.get("host", "this node")
    latest = settings.get("state") == "latest"
    available = parse_policy(policy)
    have = parse_installed(installed)
    server_available = available.get("rabbitmq-server", {})
    erlang_available = available.get("erlang-base", {})

    r_installed = have.get("rabbitmq-server", "")
    r_pattern = settings.get("version") or ""
    r_target = resolve(r_installed, r_pattern, _offered(server_available, settings.get("server_urls")), latest)
    e_installed = have.get("erlang-base", "")
    e_pattern = settings.get("erlang_version") or ""
    e_target = resolve(e_installed, e_pattern, _offered(erlang_available, settings.get("erlang_urls")), latest)

    r_from, e_from = v.upstream(r_installed), v.upstream(e_installed)
    r_to = v.upstream(r_target) if r_target else v.upstream(r_pattern)
    e_to = v.upstream(e_target) if e_target else v.upstream(e_pattern)
    plan = dict(change=False, allowed=True, kind="none", message="", packages=[], enable_feature_flags=False,
                rabbitmq=dict(installed=r_installed, target=r_target or "", release=v.dotted(r_to)),
                erlang=dict(installed=e_installed, target=e_target or "", release=v.dotted(e_to)))
    if not r_installed:
        return plan

    problems = []
    r_kind, r_reason = v.rabbitmq_change(r_from, r_to)
    if r_target and r_kind == "none" and v.debian_compare(r_target, r_installed) != 0:
        # Same upstream release, another package revision (3.10.8-1.1+deb12u1 -> u2).
        r_kind = "patch" if v.debian_compare(r_target, r_installed) > 0 else "refused"
        r_reason = "" if r_kind == "patch" else "RabbitMQ does not support downgrades"
    if r_kind == "refused":
        text = "RabbitMQ from %s (package %s) to %s (%s): %s." % (
            v.dotted(r_from), r_installed, v.dotted(r_to) or "?", _requested("rabbitmq_server_version", r_pattern, latest), r_reason)
        if r_to and v.series(r_to) > v.series(r_from):
            path = v.upgrade_path(r_from, v.series(r_to))
            text += (" Supported path: %s, one series per run, every stable feature flag enabled before each step"
                     " (RabbitMQ's upgrade guide)." % v.describe_path(path)) if path else (
                " RabbitMQ's upgrade table has no path from %s.x to %s.x." % (
                    v.dotted(v.series(r_from)), v.dotted(v.series(r_to))))
        problems.append(text)
    e_kind, e_reason = v.erlang_change(r_from, r_to or r_from, e_from, e_to or e_from, e_installed, e_target or e_pattern)
    if e_kind == "refused":
        problems.append("Erlang from %s to %s (%s): %s." % (
            e_installed, e_target or e_pattern, _requested("rabbitmq_server_erlang_version", e_pattern, latest), e_reason))
    flags = settings.get("feature_flags") or []
    if r_kind == "series":
        if v.series(r_from) == (3, 13) and any(f.get("name") == "khepri_db" and f.get("state") == "enabled" for f in flags):
            problems.append("RabbitMQ 3.13 with the experimental khepri_db feature flag enabled cannot be upgraded to 4.x.")
        plan["enable_feature_flags"] = any(
            f.get("stability") == "stable" and f.get("state") != "enabled" for f in flags)

    if problems:
        plan.update(change=True, allowed=False, kind="refused", message=(
            "Refusing the version change on %s before changing anything: %s %s" % (host, " ".join(problems), MIGRATE)))
        return plan
    if r_kind != "none" and not r_target:
        plan.update(change=True, allowed=False, kind="refused", message=(
            "Refusing the version change on %s before changing anything: no rabbitmq-server version matching %s is "
            "offered by %s (available: %s)." % (host, _requested("rabbitmq_server_version", r_pattern, latest),
                                                ", ".join(settings.get("server_urls") or []) or "the configured sources",
                                                ", ".join(sorted(server_available)) or "none")))
        return plan
    if e_pattern and not e_target:
        plan.update(change=True, allowed=False, kind="refused", message=(
            "Refusing the version change on %s before changing anything: no Erlang (erlang-base) version matching "
            'rabbitmq_server_erlang_version "%s" is offered by %s (available: %s).' % (
                host, e_pattern, ", ".join(settings.get("erlang_urls") or []) or "the configured sources",
                ", ".join(sorted(erlang_available)) or "none")))
        return plan
    if r_kind == "none" and e_kind == "none":
        return plan
    packages = []
    if r_target != r_installed:
        packages.append("rabbitmq-server=%s" % r_target)
    if e_target and e_target != e_installed:
        packages += ["%s=%s" % (name, e_target) for name in sorted(have) if name.startswith("erlang-")]
    plan.update(change=True, kind=r_kind if r_kind != "none" else "erlang", packages=packages, message=(
        "%s: RabbitMQ %s -> %s, Erlang %s -> %s (%s)" % (
            host, r_installed, r_target, e_installed, e_target or e_installed,
            {"patch": "patch release", "series": "next release series", "erlang": "Erlang within the supported range"}[
                r_kind if r_kind != "none" else "erlang"])))
    return plan


class FilterModule(object):
    """Ansible filters of mqops.rabbitmq."""

    def filters(self):
        return {"package_plan": package_plan}
