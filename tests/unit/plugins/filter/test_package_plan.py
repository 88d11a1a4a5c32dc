# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""package_plan: apt's view of a node in, the decided version change out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mqops.rabbitmq.plugins.filter.package_plan import (
    FilterModule, package_plan, parse_installed, parse_policy, resolve)

U1 = "1:25.2.3+dfsg-1+deb12u1"
U4 = "1:25.2.3+dfsg-1+deb12u4"
REPO = "http://classic-repo"

# `LANG=C apt-cache policy rabbitmq-server erlang-base` on a cluster_classic
# node: the test repository holds Debian's own builds, pinned by the role.
POLICY = """rabbitmq-server:
  Installed: 3.10.8-1.1+deb12u1
  Candidate: 3.10.8-1.1+deb12u1
  Version table:
 *** 3.10.8-1.1+deb12u1 999
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
        500 http://classic-repo bookworm/main amd64 Packages
        100 /var/lib/dpkg/status
erlang-base:
  Installed: 1:25.2.3+dfsg-1+deb12u1
  Candidate: 1:25.2.3+dfsg-1+deb12u1
  Version table:
     1:25.2.3+dfsg-1+deb12u4 -1
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
        500 http://classic-repo bookworm/main amd64 Packages
 *** 1:25.2.3+dfsg-1+deb12u1 999
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
        500 http://classic-repo bookworm/main amd64 Packages
        100 /var/lib/dpkg/status
"""

ERLANG = ["erlang-asn1", "erlang-base", "erlang-crypto", "erlang-ssl"]
INSTALLED = "rabbitmq-server 3.10.8-1.1+deb12u1 installed\n" + "".join(
    "%s %s installed\n" % (name, U1) for name in ERLANG) + "erlang-abi-17.0  not-installed\nerlang-dev  not-installed\n"

# A node with RabbitMQ's own 4.0 packages and an upstream repository with newer ones.
POLICY_40 = """rabbitmq-server:
  Installed: 4.0.5-1
  Candidate: 4.3.6-1
  Version table:
     4.3.6-1 999
        500 https://deb1.rabbitmq.com/rabbitmq-server/debian/bookworm bookworm/main amd64 Packages
     4.2.3-1 999
        500 https://deb1.rabbitmq.com/rabbitmq-server/debian/bookworm bookworm/main amd64 Packages
 *** 4.0.5-1 999
        500 https://deb1.rabbitmq.com/rabbitmq-server/debian/bookworm bookworm/main amd64 Packages
        100 /var/lib/dpkg/status
     3.10.8-1.1+deb12u1 -1
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
erlang-base:
  Installed: 1:26.2.5.13-1
  Candidate: 1:27.3.4-1
  Version table:
     1:27.3.4-1 999
        500 https://deb1.rabbitmq.com/rabbitmq-erlang/debian/bookworm bookworm/main amd64 Packages
 *** 1:26.2.5.13-1 999
        500 https://deb1.rabbitmq.com/rabbitmq-erlang/debian/bookworm bookworm/main amd64 Packages
        100 /var/lib/dpkg/status
     1:25.2.3+dfsg-1+deb12u4 -1
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
"""
INSTALLED_40 = "rabbitmq-server 4.0.5-1 installed\nerlang-base 1:26.2.5.13-1 installed\nerlang-ssl 1:26.2.5.13-1 installed\n"
UPSTREAM = {"server_urls": ["https://deb1.rabbitmq.com/rabbitmq-server/debian/bookworm"],
            "erlang_urls": ["https://deb1.rabbitmq.com/rabbitmq-erlang/debian/bookworm"]}


def settings(**extra):
    base = dict(host="classic1", version="", erlang_version=U1, state="present",
                server_urls=[REPO + "/"], erlang_urls=[REPO + "/"], feature_flags=[])
    base.update(extra)
    return base


def test_parsers():
    policy = parse_policy(POLICY)
    assert policy["erlang-base"][U4] == ["http://deb.debian.org/debian", REPO]
    assert policy["rabbitmq-server"]["3.10.8-1.1+deb12u1"] == [
        "http://deb.debian.org/debian", "http://deb.debian.org/debian-security", REPO]
    installed = parse_installed(INSTALLED)
    assert sorted(installed) == ERLANG + ["rabbitmq-server"] and installed["erlang-ssl"] == U1
    assert parse_policy("") == {} and parse_installed("") == {}


def test_resolve():
    available = ["4.0.5-1", "4.2.3-1", "4.3.6-1"]
    assert resolve("4.0.5-1", "", available, False) == "4.0.5-1"
    assert resolve("4.0.5-1", "4.0*", available, False) == "4.0.5-1"    # the pin is satisfied: no change
    assert resolve("4.0.5-1", "4.2*", available, False) == "4.2.3-1"
    assert resolve("4.0.5-1", "", available, True) == "4.3.6-1"
    assert resolve("4.0.5-1", "4.0*", available, True) == "4.0.5-1"     # latest within the pin
    assert resolve("4.3.7-1", "", available, True) == "4.3.7-1"         # latest never goes down
    assert resolve("4.0.5-1", "5.*", available, False) is None


def test_nothing_asked_nothing_planned():
    plan = package_plan(POLICY, INSTALLED, settings())
    assert plan["change"] is False and plan["allowed"] is True and plan["packages"] == []


def test_fresh_install_is_not_an_upgrade():
    plan = package_plan(POLICY, "erlang-base %s installed\n" % U1, settings(version="4.0.5*", erlang_version=U4))
    assert plan["change"] is False and plan["allowed"] is True


def test_erlang_patch_build_moves_every_installed_erlang_package():
    plan = package_plan(POLICY, INSTALLED, settings(erlang_version=U4))
    assert plan["allowed"] and plan["change"] and plan["kind"] == "erlang"
    assert plan["packages"] == ["%s=%s" % (name, U4) for name in ERLANG]
    assert plan["erlang"] == {"installed": U1, "target": U4, "release": "25.2.3"}
    assert plan["enable_feature_flags"] is False


def test_erlang_downgrade_refused():
    installed = INSTALLED.replace(U1, U4)
    plan = package_plan(POLICY, installed, settings(erlang_version=U1))
    assert not plan["allowed"] and plan["packages"] == []
    assert "Erlang from %s to %s" % (U4, U1) in plan["message"] and "no downgrades" in plan["message"]


def test_rabbitmq_4_0_on_debian_12_refused_before_availability():
    """The cluster_classic refusal: 4.0.5 is not even offered there; the gate says why first."""
    plan = package_plan(POLICY, INSTALLED, settings(version="4.0.5*"))
    message = plan["message"]
    assert not plan["allowed"] and plan["change"] and plan["packages"] == []
    assert message.startswith("Refusing the version change on classic1 before changing anything:")
    assert 'RabbitMQ from 3.10.8 (package 3.10.8-1.1+deb12u1) to 4.0.5 (rabbitmq_server_version "4.0.5*")' in message
    assert "Supported path: 3.10 -> 3.11 (3.11.18 or later) -> 3.12 -> 3.13 -> 4.0, one series per run" in message
    assert "blue-green migration" in message


def test_4_0_to_4_3_refused_with_the_4_2_step():
    plan = package_plan(POLICY_40, INSTALLED_40, dict(UPSTREAM, host="n1", version="4.3.6-1"))
    assert not plan["allowed"]
    assert "RabbitMQ from 4.0.5 (package 4.0.5-1) to 4.3.6" in plan["message"]
    assert "Supported path: 4.0 -> 4.2 -> 4.3" in plan["message"]


def test_latest_moves_to_the_newest_candidates_only_where_allowed():
    # latest: 4.3.6 is offered, 4.0 -> 4.3 is not a rolling upgrade.
    plan = package_plan(POLICY_40, INSTALLED_40, dict(UPSTREAM, state="latest"))
    assert not plan["allowed"] and "rabbitmq_server_package_state latest" in plan["message"]
    # Pinned to the 4.2 series with latest Erlang: the next series, Erlang 27 is in 4.2's range.
    flags = [{"name": "quorum_queue", "stability": "stable", "state": "enabled"},
             {"name": "message_containers", "stability": "stable", "state": "disabled"},
             {"name": "khepri_db", "stability": "experimental", "state": "disabled"}]
    plan = package_plan(POLICY_40, INSTALLED_40, dict(UPSTREAM, state="latest", version="4.2*", feature_flags=flags))
    assert plan["allowed"] and plan["kind"] == "series", plan["message"]
    assert plan["packages"] == ["rabbitmq-server=4.2.3-1", "erlang-base=1:27.3.4-1", "erlang-ssl=1:27.3.4-1"]
    assert plan["enable_feature_flags"] is True


def test_version_offered_only_by_debian_is_refused_with_the_upstream_source():
    # 3.10.8 exists only in Debian's repository here: never install it from there.
    plan = package_plan(POLICY_40, INSTALLED_40, dict(UPSTREAM, version="3.10.8*"))
    assert not plan["allowed"] and "downgrades" in plan["message"]
    policy = POLICY_40.replace("     3.10.8-1.1+deb12u1 -1", "     4.0.6-1 -1")
    plan = package_plan(policy, INSTALLED_40, dict(UPSTREAM, version="4.0.6*"))
    assert not plan["allowed"]
    assert 'no rabbitmq-server version matching rabbitmq_server_version "4.0.6*" is offered by ' \
           'https://deb1.rabbitmq.com/rabbitmq-server/debian/bookworm' in plan["message"]


def test_patch_release_allowed():
    policy = POLICY_40.replace("     4.2.3-1 999", "     4.0.9-1 999")
    plan = package_plan(policy, INSTALLED_40, dict(UPSTREAM, version="4.0.9*"))
    assert plan["allowed"] and plan["kind"] == "patch" and plan["packages"] == ["rabbitmq-server=4.0.9-1"]
    assert plan["enable_feature_flags"] is False


def test_unavailable_patch_and_erlang_pins_are_refused_by_name():
    plan = package_plan(POLICY, INSTALLED, settings(version="3.10.9*"))
    assert not plan["allowed"] and 'no rabbitmq-server version matching rabbitmq_server_version "3.10.9*"' in plan["message"]
    plan = package_plan(POLICY, INSTALLED, settings(erlang_version="1:25.2.3+dfsg-1+deb12u9"))
    assert not plan["allowed"] and 'rabbitmq_server_erlang_version "1:25.2.3+dfsg-1+deb12u9"' in plan["message"]
    assert "(available: %s, %s)" % (U1, U4) in plan["message"]


def test_erlang_outside_the_range_refused():
    policy = POLICY.replace("     1:25.2.3+dfsg-1+deb12u4 -1", "     1:26.2.5.13-1 999")
    plan = package_plan(policy, INSTALLED, settings(erlang_version="1:26.2*"))
    assert not plan["allowed"]
    assert "RabbitMQ 3.10.8 does not support Erlang 26.2.5.13 (supported: 24.2 to 25.2.x)" in plan["message"]


def test_khepri_on_3_13_blocks_4_x():
    policy = POLICY_40.replace("4.0.5-1", "3.13.7-1")
    installed = INSTALLED_40.replace("4.0.5-1", "3.13.7-1")
    flags = [{"name": "khepri_db", "stability": "experimental", "state": "enabled"}]
    policy = policy.replace("4.2.3-1", "4.0.5-1")
    plan = package_plan(policy, installed, dict(UPSTREAM, version="4.0.5-1", feature_flags=flags))
    assert not plan["allowed"] and "khepri_db" in plan["message"]


def test_registered():
    assert FilterModule().filters()["package_plan"] is package_plan
