"""Packages from RabbitMQ's repositories ("upstream" source) and version changes.

The cluster_classic scenario (3 nodes, RabbitMQ 3.10.8) installs from the
signed test repository its prepare.yml serves on `classic-repo`, with Erlang
pinned to bookworm's older build. These tests prove where the packages came
from, that an unsupported version change is refused before anything
changes, and upgrade Erlang to bookworm's newer build one node at a time
under load. Scenarios that do not use the upstream source skip them. They
run after test_cluster.py (file order) and leave the nodes on the newer
Erlang: the last converges of the verify step pass that pin.
"""

import concurrent.futures
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid

import pytest
import rabbitmq_probe as probe

CONVERGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "converge.yml")
NEW_ERLANG = "1:25.2.3+dfsg-1+deb12u4"
PREFERENCES = "/etc/apt/preferences.d/mqops-rabbitmq"
SOURCES = "/etc/apt/sources.list.d/mqops-rabbitmq.sources"
KEYRING = "/etc/apt/keyrings/mqops-rabbitmq.asc"


# Module scope: decided before any other module fixture (repo needs the
# aptrepo group, which only cluster_classic has).
@pytest.fixture(scope="module", autouse=True)
def only_members_with_the_upstream_source(host, hostvars, members):
    if host.backend.get_hostname() not in members:
        pytest.skip("%s is not a cluster member" % host.backend.get_hostname())
    if hostvars.get("rabbitmq_server_package_source") != "upstream" or not hostvars["groups"].get("aptrepo"):
        pytest.skip("this scenario does not install from a test repository (upstream package source)")


@pytest.fixture(scope="module")
def repo(hostvars):
    return hostvars["groups"]["aptrepo"][0]


def sh(container, script):
    return subprocess.run(["docker", "exec", "-i", container, "bash", "-s"], input=script,
                          capture_output=True, text=True, check=True).stdout


def installed(container):
    """{package: (version, architecture)} of rabbitmq-server and the erlang-* packages."""
    out = sh(container, "dpkg-query -W -f='${Package} ${Version} ${Architecture} ${db:Status-Status}\\n' "
                        "rabbitmq-server 'erlang-*' || true")
    return {p[0]: (p[1], p[2]) for p in (line.split() for line in out.splitlines()) if len(p) == 4 and p[3] == "installed"}


def policy(container, package):
    """{version: (priority, [source URLs])} from apt-cache policy."""
    versions, current = {}, None
    for line in sh(container, "LANG=C apt-cache policy %s" % package).splitlines():
        match = re.match(r"^ (?:\*\*\*| {3}) (\S+) (-?\d+)$", line)
        if match:
            current = match.group(1)
            versions[current] = (int(match.group(2)), [])
        elif current and "://" in line:
            versions[current][1].append(line.split()[1].rstrip("/"))
    return versions


def downloads(repo_container):
    """(client address, pool file) of every .deb the test repository served."""
    log = subprocess.check_output(["docker", "exec", repo_container, "journalctl", "-u", "mqops-test-repo",
                                   "-o", "cat", "--no-pager"], text=True)
    return {(m.group(1), urllib.parse.unquote(m.group(2)))
            for m in re.finditer(r'^(\S+) - - \[[^]]*\] "GET /(pool/\S+\.deb) HTTP/[0-9.]+" 200', log, re.M)}


def pool_file(package, version, arch):
    return "pool/%s_%s_%s.deb" % (package, version.split(":", 1)[-1], arch)


def test_rabbitmq_and_erlang_come_from_the_test_repository(once, hostvars, members, repo, addresses):
    """Every member, checked in one test: it runs before the Erlang upgrade below
    (pytest groups a module's tests by host, so a per-host test of classic2 would
    run after classic1's cluster-wide upgrade)."""
    pinned = hostvars["rabbitmq_server_erlang_version"]
    served = downloads(repo)
    for name in members:
        packages = installed(name)
        erlang = {p: v for p, v in packages.items() if p.startswith("erlang-")}
        assert len(erlang) == 17 and {v for v, _arch in erlang.values()} == {pinned}, (name, erlang)
        # The pins: the installed versions at 999 from the repository, the other
        # Erlang build (in the repository and in Debian) refused with -1.
        server = policy(name, "rabbitmq-server")
        assert server[packages["rabbitmq-server"][0]][0] == 999, (name, server)
        assert "http://classic-repo" in server[packages["rabbitmq-server"][0]][1], (name, server)
        base = policy(name, "erlang-base")
        assert base[pinned][0] == 999 and "http://classic-repo" in base[pinned][1], (name, base)
        assert base[NEW_ERLANG][0] == -1, (name, base)
        prefs = subprocess.check_output(["docker", "exec", name, "cat", PREFERENCES], text=True)
        assert "Package: erlang*\nPin: version %s\nPin-Priority: 999" % pinned in prefs, prefs
        assert 'Package: rabbitmq-server\nPin: origin "classic-repo"\nPin-Priority: 999' in prefs, prefs
        assert prefs.count("Pin: version *\nPin-Priority: -1") == 2, prefs
        sources = subprocess.check_output(["docker", "exec", name, "cat", SOURCES], text=True)
        assert "URIs: http://classic-repo/\n" in sources and "Signed-By: %s\n" % KEYRING in sources, sources
        # Debian offers the very same versions; apt would have fetched them from
        # Debian's mirror (its first source). The repository's access log shows
        # this node fetched every one of them from the repository instead.
        missing = sorted(p for p, (v, arch) in packages.items()
                         if (addresses[name], pool_file(p, v, arch)) not in served)
        assert missing == [], "not fetched from the repository by %s: %s" % (name, missing)
        print("%s: rabbitmq-server %s and %d erlang-* %s from http://classic-repo (pin 999; %s -1)"
              % (name, packages["rabbitmq-server"][0], len(erlang), pinned, NEW_ERLANG))


SNAPSHOT = r"""
find /etc/rabbitmq /etc/systemd/system/rabbitmq-server.service.d /etc/apt/preferences.d /etc/apt/sources.list.d \
     /etc/apt/keyrings -type f -print0 | sort -z | xargs -0 sha256sum
ls -A /var/lib/mqops-rabbitmq 2>/dev/null | sed 's/^/work: /'
dpkg-query -W rabbitmq-server 'erlang-*' 2>/dev/null
systemctl show -p ActiveEnterTimestampMonotonic -p MainPID rabbitmq-server
"""


@pytest.fixture(scope="module")
def read_only_runs(host, members):
    """The refused version change and the Erlang change in check mode, side by
    side (neither may change anything: one snapshot of every node before both
    and one after both), with their results."""
    # Module scope is per host here (the host parameter): pytest sets it up
    # before the function-scoped `once` could skip the other members.
    if host.backend.get_hostname() != members[0]:
        pytest.skip("cluster-wide test: runs once, on %s" % members[0])
    before = {m: sh(m, SNAPSHOT) for m in members}
    runs = {
        "refused": lambda: probe.run_playbook(CONVERGE, "-e", '{"rabbitmq_server_version": "4.0.5*"}', check=False),
        "check_mode": lambda: probe.run_playbook(CONVERGE, "--check", "--diff", "-e",
                                                 json.dumps({"rabbitmq_server_erlang_version": NEW_ERLANG})),
    }
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(runs)) as pool:
        futures = {name: pool.submit(run) for name, run in runs.items()}
        results = {name: future.result() for name, future in futures.items()}
    after = {m: sh(m, SNAPSHOT) for m in members}
    return results, before, after


def test_unsupported_version_change_is_refused_before_any_change(once, members, read_only_runs):
    """RabbitMQ 4.0 from 3.10 is two+ series away: refused on every node first."""
    results, before, after = read_only_runs
    result = results["refused"]
    flat = " ".join(result.output.split())
    assert result.returncode != 0
    for member in members:
        assert "Refusing the version change on %s before changing anything" % member in flat, result.output[-4000:]
    assert 'RabbitMQ from 3.10.8 (package 3.10.8-1.1+deb12u1) to 4.0.5 (rabbitmq_server_version "4.0.5*")' in flat
    assert "Supported path: 3.10 -> 3.11 (3.11.18 or later) -> 3.12 -> 3.13 -> 4.0, one series per run" in flat
    assert "blue-green migration: a new cluster on the target series" in flat
    for member in members:
        assert after[member] == before[member], "%s changed" % member


def test_erlang_upgrade_in_check_mode_shows_the_change_and_changes_nothing(once, members, hostvars, read_only_runs):
    """Check mode is honest: each node's plan and new pins are shown, no host changes, no restart."""
    old = hostvars["rabbitmq_server_erlang_version"]
    results, before, after = read_only_runs
    result = results["check_mode"]
    flat = " ".join(result.output.split())
    for member in members:
        server = installed(member)["rabbitmq-server"][0]
        assert ("%s: RabbitMQ %s -> %s, Erlang %s -> %s (Erlang within the supported range)"
                % (member, server, server, old, NEW_ERLANG)) in flat, result.output[-4000:]
    # The new pin, as the preferences file would get it.
    assert "+Pin: version %s" % NEW_ERLANG in result.output, result.output[-4000:]
    assert probe.recap_changed(result.stdout) > 0
    for member in members:
        assert after[member] == before[member], "%s changed in check mode" % member


class PortMonitor(threading.Thread):
    """When each node's AMQP port was closed (drained or stopped), polled from the test host."""

    def __init__(self, addresses, interval=0.2):
        super().__init__(daemon=True)
        self.addresses, self.interval = addresses, interval
        self.windows = {name: [] for name in addresses}
        self.stop_event = threading.Event()

    def _open(self, address):
        try:
            socket.create_connection((address, 5672), timeout=0.5).close()
            return True
        except OSError:
            return False

    def run(self):
        closed_since = {}
        while not self.stop_event.is_set():
            now = time.monotonic()
            for name, address in self.addresses.items():
                is_open = self._open(address)
                if not is_open and name not in closed_since:
                    closed_since[name] = now
                elif is_open and name in closed_since:
                    self.windows[name].append((closed_since.pop(name), now))
            time.sleep(self.interval)
        end = time.monotonic()
        for name, start in closed_since.items():
            self.windows[name].append((start, end))


def beam_executable(container):
    """The broker VM's executable (the unit's main process); "... (deleted)" when
    its file was replaced after the VM started."""
    # As the VM's own user: root in these containers lacks CAP_SYS_PTRACE,
    # which reading another user's /proc/PID/exe needs.
    return sh(container, "runuser -u rabbitmq -- readlink /proc/$(systemctl show -p MainPID --value rabbitmq-server)/exe").strip()


def test_rolling_erlang_upgrade_under_load_loses_nothing(once, members, addresses, admin, hostvars, repo):
    old = hostvars["rabbitmq_server_erlang_version"]
    queue = "erlang-upgrade-%s" % uuid.uuid4().hex[:6]
    nodes = [addresses[m] for m in members]
    probe.declare_quorum_queue(nodes[0], *admin, queue)
    publisher = probe.ConfirmedPublisher(nodes, *admin, queue, minimum=3000, rate=100)
    consumer = probe.CountingConsumer(list(reversed(nodes)), *admin, queue)
    monitor = PortMonitor(addresses)
    consumer.start()
    publisher.start()
    monitor.start()
    started = time.monotonic()
    try:
        result = probe.run_playbook(CONVERGE, "-e", json.dumps({"rabbitmq_server_erlang_version": NEW_ERLANG}))
    finally:
        converge_seconds = time.monotonic() - started
        monitor.stop_event.set()
        publisher.stop_event.set()
        publisher.join(timeout=600)
        monitor.join(timeout=30)
    assert publisher.error is None, publisher.error
    probe.wait_for(lambda: publisher.confirmed <= consumer.seen, timeout=300)
    consumer.stop_event.set()
    consumer.join(timeout=30)
    lost = publisher.confirmed - consumer.seen
    windows = sorted((start, end, name) for name, spans in monitor.windows.items() for start, end in spans
                     if end - start >= 1.0)
    print("rolling Erlang upgrade %s -> %s under load: published=%d confirmed=%d lost=%d duplicates=%d "
          "publisher_reconnects=%d longest_stall=%.1fs converge=%.0fs"
          % (old, NEW_ERLANG, publisher.published, len(publisher.confirmed), len(lost), consumer.duplicates,
             publisher.reconnects, publisher.longest_stall, converge_seconds))
    for start, end, name in windows:
        print("  %s: AMQP port closed %.1fs (from +%.1fs to +%.1fs)" % (name, end - start, start - started, end - started))
    assert not lost
    assert len(publisher.confirmed) >= 3000
    # One node at a time: every node was out once, never two together.
    assert sorted(name for _s, _e, name in windows) == sorted(members), windows
    assert all(windows[i][1] <= windows[i + 1][0] for i in range(len(windows) - 1)), windows
    served = downloads(repo)
    for member in members:
        packages = installed(member)
        erlang = {p: v for p, (v, _arch) in packages.items() if p.startswith("erlang-")}
        assert len(erlang) == 17 and set(erlang.values()) == {NEW_ERLANG}, (member, erlang)
        # The VM runs the new build (a VM started before the upgrade would
        # run a replaced, "(deleted)" executable) and RabbitMQ reports it.
        executable = beam_executable(member)
        assert executable.startswith("/usr/lib/erlang/") and " (deleted)" not in executable, (member, executable)
        assert sh(member, "rabbitmqctl -q eval 'erlang:system_info(otp_release).'").strip() == '"25"'
        assert all((addresses[member], pool_file(p, v, arch)) in served
                   for p, (v, arch) in packages.items() if p.startswith("erlang-")), member
    status = json.loads(sh(members[0], "rabbitmqctl -q cluster_status --formatter json"))
    assert sorted(status["running_nodes"]) == sorted("rabbit@%s" % m for m in members)
    # Nothing needed healing (the heal report; its task's name holds "healed" too).
    assert "healed: rabbit@" not in result.output, result.output[-4000:]
    # RabbitMQ 3.10: the API cannot tell a drained node, the node's state comes from the CLI.
    probe.assert_no_op_run(probe.run_playbook(CONVERGE, "-v", "-e", json.dumps({"rabbitmq_server_erlang_version": NEW_ERLANG})),
                           members, state_over_api=False)
