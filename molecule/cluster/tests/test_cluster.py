"""A 3-node cluster, as its running brokers report it, under failures.

Shared by the `cluster` (RabbitMQ 4.0, quorum queues) and `cluster_classic`
(RabbitMQ 3.10, mirrored and quorum queues) scenarios. Cluster-wide tests run
once (on the first node); they run in file order and leave the cluster with
all nodes running.
"""

import concurrent.futures
import functools
import json
import os
import re
import socket
import subprocess
import time
import uuid

import pika
import pytest
import rabbitmq_probe as probe

SCENARIO_DIR = os.environ.get("MOLECULE_SCENARIO_DIRECTORY", os.path.dirname(os.path.dirname(__file__)))
PROJECT_DIR = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(SCENARIO_DIR, "..", "..")))
CONVERGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "converge.yml")
ROLLING_RESTART = os.path.join(PROJECT_DIR, "playbooks", "rolling_restart.yml")


@pytest.fixture(autouse=True)
def only_cluster_members(host, members):
    """Spare platforms (not in the `rabbitmq` group) are not tested as members."""
    if host.backend.get_hostname() not in members:
        pytest.skip("%s is not a cluster member" % host.backend.get_hostname())


def cluster_status(container):
    out = subprocess.check_output(["docker", "exec", container, "rabbitmqctl", "-q", "cluster_status", "--formatter", "json"], text=True)
    return json.loads(out)


@functools.lru_cache(maxsize=None)
def major_version(container):
    """RabbitMQ's major version on a node (read once: no test changes it)."""
    status = cluster_status(container)
    return int(next(iter(status["versions"].values()))["rabbitmq_version"].split(".")[0])


def wait_all_running(members, timeout=240):
    expected = sorted("rabbit@%s" % m for m in members)

    def all_running():
        try:
            return all(sorted(cluster_status(m)["running_nodes"]) == expected for m in members)
        except subprocess.CalledProcessError:
            return False

    probe.wait_for(all_running, timeout=timeout, interval=2)


def wait_quorum_members_online(address, admin, timeout=180, steady=15):
    """Every quorum queue has all its members online again (after nodes came back).

    The management API reports members from periodic queue statistics, which
    can flap for a few seconds after a restart (all online, then a stale
    event with a member missing): the state must hold for ``steady`` seconds.
    """
    last = {}

    def settled():
        try:
            status, queues = probe.http_get("http://%s:15672/api/queues?columns=name,type,members,online" % address,
                                            *admin)
        except OSError:  # the API may not answer yet
            status, queues = None, []
        behind = [(q["name"], q.get("members"), q.get("online")) for q in queues
                  if q.get("type") == "quorum" and len(q.get("online") or []) < len(q.get("members") or [])]
        if status != 200 or behind:
            last["behind"] = behind if status == 200 else "API status %s" % status
            last.pop("since", None)
            return False
        last.setdefault("since", time.monotonic())
        return time.monotonic() - last["since"] >= steady

    try:
        probe.wait_for(settled, timeout=timeout, interval=2)
    except AssertionError:
        raise AssertionError("quorum queues with members offline after %ss: %r" % (timeout, last.get("behind")))


def docker_exec(container, *cmd):
    subprocess.run(["docker", "exec", container] + list(cmd), check=True, capture_output=True, text=True)


@pytest.fixture()
def firewall(hostvars):
    """Inter-node firewall tests need rabbitmq_cluster_firewall_enabled in the scenario."""
    if not hostvars.get("rabbitmq_cluster_firewall_enabled", False):
        pytest.skip("rabbitmq_cluster_firewall_enabled is off in this scenario")


FIREWALL_TABLE = ["nft", "-j", "list", "table", "inet", "mqops_rabbitmq"]
DEFAULT_FIREWALL_PORTS = [4369, 25672]

# Prints open, refused or timeout: a dropped SYN times out.
TCP_PROBE = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
    print("open")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
"""


def firewall_table(output):
    """Sets and rules of `nft -j list table inet mqops_rabbitmq`."""
    items = json.loads(output)["nftables"]
    sets = {i["set"]["name"]: i["set"].get("elem", []) for i in items if "set" in i}
    chains = {i["chain"]["name"]: i["chain"] for i in items if "chain" in i}
    rules = [i["rule"] for i in items if "rule" in i]
    return sets, chains, rules


def tcp_from(container, address, port, timeout=3):
    """open / refused / timeout for a TCP connect from a container."""
    return subprocess.check_output(
        ["docker", "exec", container, "python3", "-c", TCP_PROBE, address, str(port), str(timeout)], text=True
    ).strip()


def tcp_from_controller(address, port, timeout=3):
    """The same from the machine running the tests (not a member either)."""
    try:
        socket.create_connection((address, port), timeout=timeout).close()
        return "open"
    except ConnectionRefusedError:
        return "refused"
    except socket.timeout:
        return "timeout"


# --- every node ---------------------------------------------------------------


def test_every_node_lists_all_members_running(host, members):
    status = json.loads(host.check_output("rabbitmqctl -q cluster_status --formatter json"))
    assert sorted(status["running_nodes"]) == sorted("rabbit@%s" % m for m in members)
    assert sorted(status["disk_nodes"]) == sorted("rabbit@%s" % m for m in members)
    assert not status["partitions"]
    assert not status["alarms"]


def test_new_cluster_formed_while_the_nodes_first_booted(host, members):
    """The first converge installed every member: the first booted alone, the
    others joined it by peer discovery at their first boot (the cluster role
    had nothing to join), and the peer list is gone once the node runs."""
    name = host.backend.get_hostname()
    assert not host.file("/etc/rabbitmq/conf.d/90-mqops-cluster-formation.conf").exists
    log = host.run("grep -ih 'auto-clustering\\|peer discovery' /var/log/rabbitmq/rabbit@%s.log*" % name).stdout
    if name == members[0]:
        # It booted alone, at once: no peer to look for, none waited for.
        assert "auto-clustering" not in log and "could not discover" not in log, log
    else:
        assert "'rabbit@%s' selected for auto-clustering" % members[0] in log, log


def test_same_cookie_on_every_node(host, members):
    digests = {
        m: subprocess.check_output(["docker", "exec", m, "sha256sum", "/var/lib/rabbitmq/.erlang.cookie"], text=True).split()[0]
        for m in members
    }
    assert len(set(digests.values())) == 1
    cookie = host.file("/var/lib/rabbitmq/.erlang.cookie")
    assert cookie.user == "rabbitmq" and cookie.mode == 0o400


def test_stable_feature_flags_enabled(host):
    status = json.loads(host.check_output("rabbitmqctl -q cluster_status --formatter json"))
    disabled = [f["name"] for f in status["feature_flags"] if f.get("stability") == "stable" and f["state"] != "enabled"]
    assert disabled == []


def test_the_cluster_and_definitions_tags_run_alone(once):
    """--tags rabbitmq_cluster,rabbitmq_definitions leaves out the server role's service step; the cluster
    role read a decision that step records and failed (HostVarsVars has no attribute
    '__rabbitmq_server_started_here'). The server role now records every such decision whatever the tags."""
    result = probe.run_playbook(CONVERGE, "--tags", "rabbitmq_cluster,rabbitmq_definitions")
    assert probe.recap_changed(result.stdout) == 0, result.stdout[-3000:]


def test_firewall_table_allows_exactly_the_members(host, firewall, members, addresses, hostvars):
    sets, chains, rules = firewall_table(host.check_output(" ".join(FIREWALL_TABLE)))
    assert sorted(sets["peers_ipv4"]) == sorted(addresses.values())
    # The scenario's Docker network has no IPv6: no IPv6 peer, so IPv6 to the
    # ports is dropped (except on loopback).
    assert sets["peers_ipv6"] == []
    assert sorted(sets["ports"]) == sorted(hostvars.get("rabbitmq_cluster_firewall_ports", DEFAULT_FIREWALL_PORTS))
    if not hostvars.get("rabbitmq_cluster_firewall_allowed_sources"):
        assert sets["sources_ipv4"] == [] and sets["sources_ipv6"] == []
    # Only drops: the input hook accepts by default and leaves the rest alone.
    assert chains["input"]["hook"] == "input" and chains["input"]["policy"] == "accept"
    drops = [r for r in rules if any("drop" in e for e in r["expr"])]
    dport_in_ports = {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": "@ports"}}
    assert len(drops) == 2 and all(dport_in_ports in r["expr"] for r in drops)
    assert host.service("mqops-rabbitmq-firewall").is_enabled
    assert host.service("mqops-rabbitmq-firewall").is_running
    # The operator's ruleset file is not ours to write.
    assert not host.file("/etc/nftables.conf").contains("mqops")


# --- the cluster as a whole (once) ---------------------------------------------


def test_firewall_drops_non_members_on_inter_node_ports(once, firewall, members, addresses, hostvars):
    ports = hostvars.get("rabbitmq_cluster_firewall_ports", DEFAULT_FIREWALL_PORTS)
    # (who connects, to which address and port, what it must see); a dropped
    # SYN waits out the probe's timeout, so the probes run side by side.
    expected = []
    # Members reach each other (epmd answers, the distribution port accepts).
    expected += [(members[1], addresses[members[0]], port, "open") for port in ports]
    # The machine running the tests is not a member.
    expected += [(None, addresses[members[0]], port, "timeout") for port in ports]
    # Other ports are not the firewall's business.
    expected.append((None, addresses[members[0]], 5672, "open"))
    spare = hostvars["groups"].get("spare", [])
    if spare:
        # A host on the same network that is not in the group (yet).
        expected += [(spare[0], addresses[member], port, "timeout") for member in members for port in ports]
        expected.append((spare[0], addresses[members[0]], 5672, "open"))

    def probe_one(check):
        source, address, port, _want = check
        return tcp_from_controller(address, port) if source is None else tcp_from(source, address, port)

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(expected)) as pool:
        seen = list(pool.map(probe_one, expected))
    wrong = [(check, got) for check, got in zip(expected, seen) if got != check[3]]
    assert not wrong, wrong
    # The cluster is unaffected.
    for member in members:
        assert sorted(cluster_status(member)["running_nodes"]) == sorted("rabbit@%s" % m for m in members)


def test_quorum_queue_has_a_member_on_every_node(once, members, addresses, admin):
    queue = "qq-members-%s" % uuid.uuid4().hex[:6]
    probe.declare_quorum_queue(addresses[members[0]], *admin, queue)
    out = subprocess.check_output(
        ["docker", "exec", members[0], "rabbitmq-queues", "-q", "quorum_status", queue, "--formatter", "json"], text=True
    )
    assert sorted(m["Node Name"] for m in json.loads(out)) == sorted("rabbit@%s" % m for m in members)


def test_mirrored_queue_is_synchronised_on_3x(once, members, addresses, admin):
    if major_version(members[0]) >= 4:
        pytest.skip("classic queue mirroring does not exist in RabbitMQ 4.x")
    docker_exec(members[0], "rabbitmqctl", "-q", "set_policy", "--apply-to", "queues", "ha-test", "^mirrored\\.", '{"ha-mode":"all","ha-sync-mode":"automatic"}')
    queue = "mirrored.%s" % uuid.uuid4().hex[:6]
    connection = probe.amqp_connection(addresses[members[0]], *admin)
    connection.channel().queue_declare(queue=queue, durable=True)
    connection.close()

    def synchronised():
        out = subprocess.check_output(
            ["docker", "exec", members[0], "rabbitmqctl", "-q", "list_queues", "name", "synchronised_slave_pids", "--formatter", "json"],
            text=True,
        )
        row = next((q for q in json.loads(out) if q["name"] == queue), None)
        return row is not None and len(row["synchronised_slave_pids"]) == len(members) - 1

    probe.wait_for(synchronised, timeout=60)
    docker_exec(members[0], "rabbitmqctl", "-q", "clear_policy", "ha-test")


def test_published_on_first_node_consumed_on_last(once, members, addresses, admin):
    queue = "cross-node-%s" % uuid.uuid4().hex[:6]
    body = uuid.uuid4().hex.encode()
    probe.declare_quorum_queue(addresses[members[0]], *admin, queue)
    connection = probe.amqp_connection(addresses[members[0]], *admin)
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent), mandatory=True)
    connection.close()

    connection = probe.amqp_connection(addresses[members[-1]], *admin)
    try:
        method, _props, received = connection.channel().basic_get(queue, auto_ack=True)
        assert method is not None and received == body
    finally:
        connection.close()


NODE_SNAPSHOT = r"""
find /etc/rabbitmq /etc/systemd/system/rabbitmq-server.service.d -type f -print0 | sort -z | xargs -0 sha256sum
ls -A /var/lib/mqops-rabbitmq 2>/dev/null | sed 's/^/work: /'
systemctl show -p ActiveEnterTimestampMonotonic -p MainPID rabbitmq-server
"""


def node_snapshot(container):
    """Checksums of the node's configuration files, leftover staged files, its start time."""
    return subprocess.run(["docker", "exec", "-i", container, "bash", "-s"], input=NODE_SNAPSHOT,
                          capture_output=True, text=True, check=True).stdout


def test_canary_that_does_not_boot_is_rolled_back_and_nothing_else_changes(once, members):
    """A configuration that passes every check but cannot boot (its extra
    listener's port is held by another process on the first node) lands on
    the canary only, is rolled back there, and no other node restarts or
    keeps the new files."""
    # The canary and its rollback are the role's, the same on every series
    # (the healthy restart path runs on 3.x in the rolling tests below).
    if major_version(members[0]) < 4:
        pytest.skip("series-independent; runs in the 4.x cluster scenario")
    canary, others = members[0], members[1:]
    holder = "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); " \
             "s.bind(('0.0.0.0', 5999)); s.listen(1); time.sleep(600)"
    subprocess.run(["docker", "exec", "-d", canary, "python3", "-c", holder], check=True)
    before = {m: node_snapshot(m) for m in members}
    try:
        result = probe.run_playbook(CONVERGE, "-e", '{"rabbitmq_server_config_extra": {"listeners.tcp.extra": 5999}}',
                                    check=False)
    finally:
        docker_exec(canary, "pkill", "-f", "s.bind")
    flat = " ".join(result.output.split())
    assert result.returncode != 0, result.output[-3000:]
    assert "%s (rabbit@%s) did not come back healthy" % (canary, canary) in flat, result.output[-4000:]
    assert "eaddrinuse" in flat
    assert "Its previous configuration was restored" in flat and "it runs again" in flat
    for other in others:
        assert node_snapshot(other) == before[other], "%s changed" % other
    after = node_snapshot(canary)
    files = lambda snap: [l for l in snap.splitlines() if not l.startswith(("ActiveEnter", "MainPID"))]
    assert files(after) == files(before[canary]), "the canary kept new files"
    assert after != before[canary], "the canary was not restarted"
    wait_all_running(members)
    assert all(not cluster_status(m)["alarms"] for m in members)
    probe.assert_no_op_run(probe.run_playbook(CONVERGE, "-v"), members)


def test_stopped_service_stopped_application_and_forgotten_drain_are_healed(once, members, addresses, admin):
    """Faults on several nodes at once, healed by one run that says so."""
    if major_version(members[0]) < 4:
        # Two faults, so that a majority keeps running RabbitMQ (with an
        # application stopped too, one node would; the application stop is
        # healed beside the others on 4.x). Drained first: a drain moves
        # quorum queue leaders to the other members, and with one of them
        # stopped it waits out its transfer timeouts before it returns. The
        # service stopped last: Mnesia boots it from the nodes that ran
        # throughout.
        down, stopped, drained = members[0], None, members[2]
        docker_exec(drained, "rabbitmq-upgrade", "-q", "drain")
        docker_exec(down, "systemctl", "stop", "rabbitmq-server")
    else:
        # Khepri: with one node stopped and one application stopped, the node
        # drained last has no majority: its listeners close, but the metadata
        # store commits its maintenance mark only once the majority is back,
        # so cluster_status does not say "under maintenance" when the role
        # reads it.
        down, stopped, drained = members[2], members[1], members[0]
        docker_exec(down, "systemctl", "stop", "rabbitmq-server")
        docker_exec(stopped, "rabbitmqctl", "-q", "stop_app")
        docker_exec(drained, "rabbitmq-upgrade", "-q", "drain")
    # --check first: it says what a real run would heal, starts nothing and
    # leaves the users, the membership and the definitions of the nodes it
    # cannot read to that run (it failed on the CLI's connection error).
    not_running = sorted(m for m in (down, stopped) if m)
    before = {m: node_snapshot(m) for m in members}
    checked = probe.run_playbook(CONVERGE, "--check")
    flat = " ".join(checked.output.split())
    assert "check mode, would heal: rabbit@%s - the service was stopped; a real run starts it" % down in flat, \
        checked.output[-4000:]
    assert "check mode: %s %s not running yet" % (", ".join(not_running), "is" if len(not_running) == 1 else "are") \
        in flat, checked.output[-4000:]
    assert {m: node_snapshot(m) for m in members} == before
    assert subprocess.run(["docker", "exec", down, "systemctl", "is-active", "rabbitmq-server"],
                          capture_output=True, text=True).stdout.strip() != "active"
    healed = probe.run_playbook(CONVERGE, "-v")
    flat = " ".join(healed.output.split())
    # The cluster role read every member's view again after the heal: over
    # the management API on 4.x (no Erlang VM), with the CLI on 3.x.
    view = probe.task_output(healed.stdout, "Read the node's view of the cluster")
    expected = "read_from: api" if major_version(members[0]) >= 4 else "read_from: cli"
    assert view.count(expected) == len(members), view[-3000:]
    # What the run said it healed (the output's tail may not hold it).
    said = re.findall(r"healed: .*?it runs again\.", flat)
    if stopped is not None:
        assert "healed: rabbit@%s - the RabbitMQ application was stopped" % stopped in flat, said
    assert "healed: rabbit@%s - the service was stopped" % down in flat, said
    if major_version(members[0]) < 4:
        # Found by cluster_status, or (with a member down, 3.10's
        # cluster_status may leave maintenance out) by its closed listeners.
        assert re.search(r"healed: rabbit@%s - it was left in maintenance mode \(drained(; client listeners closed: [^)]*)?\);"
                         r" revived" % re.escape(drained), flat), said
    else:
        assert "healed: rabbit@%s - it was left in maintenance mode (drained; client listeners closed:" % drained \
            in flat, said
    assert probe.recap_changed(healed.stdout) > 0
    wait_all_running(members)
    status = cluster_status(members[0])
    assert all("not under maintenance" in str(v) for v in status["maintenance_status"].values()), status
    # Healed means serving again: the drained node's listeners are open and
    # every quorum queue has all its members back.
    assert tcp_from_controller(addresses[drained], 5672) == "open"
    wait_quorum_members_online(addresses[members[0]], admin)


def test_quorum_guard_refuses_a_second_node_down(once, members):
    down = members[-1]
    docker_exec(down, "systemctl", "stop", "rabbitmq-server")
    try:
        before = cluster_status(members[0])["running_nodes"]
        result = probe.run_playbook(ROLLING_RESTART, check=False)
        assert result.returncode != 0
        assert "quorum guard" in result.output, result.output[-4000:]
        assert "rabbit@%s" % down in result.output
        # Nothing was restarted: the running nodes are the same.
        assert sorted(cluster_status(members[0])["running_nodes"]) == sorted(before)
    finally:
        docker_exec(down, "systemctl", "start", "rabbitmq-server")
        wait_all_running(members)


def test_alarm_guard_stops_the_rolling_restart(once, members, hostvars):
    alarmed = members[1]
    docker_exec(alarmed, "rabbitmqctl", "-q", "set_vm_memory_high_watermark", "absolute", "10MB")
    try:
        probe.wait_for(lambda: cluster_status(members[0])["alarms"], timeout=60)
        before = _uptimes(members)
        result = probe.run_playbook(ROLLING_RESTART, check=False)
        assert result.returncode != 0
        # Refused at the first node, before anything was drained or stopped.
        flat = " ".join(result.output.split())
        assert "Refusing to restart %s: the cluster has an active resource alarm (alarm guard)" % members[0] in flat, \
            result.output[-4000:]
        after = _uptimes(members)
        assert all(after[m] > before[m] for m in members), (before, after)
    finally:
        relative = hostvars["rabbitmq_server_memory_high_watermark"]["relative"]
        docker_exec(alarmed, "rabbitmqctl", "-q", "set_vm_memory_high_watermark", str(relative))
        probe.wait_for(lambda: not cluster_status(members[0])["alarms"], timeout=60)


PREFLIGHT_THEN_A_FAILURE = """
- name: Preflight
  ansible.builtin.import_playbook: %s

- name: A member fails after the preflight, before the cluster role
  hosts: rabbitmq
  gather_facts: false
  tasks:
    - name: Fail the last member
      ansible.builtin.fail:
        msg: simulated failure after the preflight
      when: inventory_hostname == ansible_play_hosts_all[-1]

    - name: The cluster role
      ansible.builtin.include_role:
        name: mqops.rabbitmq.rabbitmq_cluster
"""


def test_a_member_failing_after_the_preflight_makes_the_cluster_role_check_again(once, members, tmp_path):
    # playbooks/server.yml's roles skip the variable checks the preflight
    # made for the same active hosts; a member that failed in between (here
    # on purpose) changes them, so the cluster role checks again and refuses
    # with the missing member named. Series-independent: proven on 4.x.
    if major_version(members[0]) < 4:
        pytest.skip("series-independent; runs in the 4.x cluster scenario")
    playbook = tmp_path / "preflight_then_a_failure.yml"
    playbook.write_text(PREFLIGHT_THEN_A_FAILURE % os.path.join(PROJECT_DIR, "playbooks", "preflight.yml"))
    result = probe.run_playbook(str(playbook), check=False)
    assert result.returncode != 0
    flat = " ".join(result.output.split())
    assert "Cluster group rabbitmq (rabbitmq_cluster_group) has host(s) %s that are unreachable, failed earlier in " \
        "this run" % members[-1] in flat, result.output[-4000:]
    assert probe.recap_changed(result.stdout) == 0


PREFLIGHT_THEN_PLAY_VARS = """
- name: Preflight
  ansible.builtin.import_playbook: %s

- name: The server role with a play variable the preflight did not see
  hosts: rabbitmq
  gather_facts: false
  vars:
    rabbitmq_server_memory_high_watermark: {relative: 7}
  roles:
    - role: mqops.rabbitmq.rabbitmq_server
"""


def test_play_vars_the_preflight_did_not_see_are_checked_again(once, members, tmp_path):
    # The preflight checked the inventory's values; a play's own vars (or
    # vars_files) give the role others. The roles skipped their checks after
    # the preflight's for the same hosts, so 7 (RabbitMQ clamps it to 1)
    # reached rabbitmq.conf unchecked; they now skip them only in
    # playbooks/server.yml's play, which says it has no values of its own.
    # Series-independent: proven on 4.x.
    if major_version(members[0]) < 4:
        pytest.skip("series-independent; runs in the 4.x cluster scenario")
    playbook = tmp_path / "preflight_then_play_vars.yml"
    playbook.write_text(PREFLIGHT_THEN_PLAY_VARS % os.path.join(PROJECT_DIR, "playbooks", "preflight.yml"))
    before = {m: node_snapshot(m) for m in members}
    result = probe.run_playbook(str(playbook), check=False)
    assert result.returncode != 0
    flat = " ".join(result.output.split())
    assert "rabbitmq_server_memory_high_watermark.relative is 7; allowed: a fraction of RAM above 0 and at most 1" \
        in flat, result.output[-4000:]
    assert probe.recap_changed(result.stdout) == 0
    assert {m: node_snapshot(m) for m in members} == before


def test_rolling_restart_under_load_loses_nothing(once, members, addresses, admin, hostvars):
    # playbooks/rolling_restart.yml is tasks/restart_node.yml once per node;
    # where test_upgrade.py upgrades Erlang under load (cluster_classic), that
    # converge runs the same restart_node.yml with the same 3.x guards on
    # every node under the same load, so this would prove nothing more there.
    if major_version(members[0]) < 4 and hostvars.get("rabbitmq_server_package_source") == "upstream" \
            and hostvars["groups"].get("aptrepo"):
        pytest.skip("restart_node.yml under load on 3.x: test_upgrade.py's rolling Erlang upgrade proves it")
    queue = "rolling-%s" % uuid.uuid4().hex[:6]
    nodes = [addresses[m] for m in members]
    probe.declare_quorum_queue(nodes[0], *admin, queue)
    publisher = probe.ConfirmedPublisher(nodes, *admin, queue, minimum=3000, rate=100)
    consumer = probe.CountingConsumer(list(reversed(nodes)), *admin, queue)
    consumer.start()
    publisher.start()
    try:
        result = probe.run_playbook(ROLLING_RESTART, "-v")
    finally:
        publisher.stop_event.set()
        publisher.join(timeout=600)
    assert publisher.error is None, publisher.error
    # Every guard read (the guards and the quorum wait before the stop, the
    # checks after the start, then another member listing it as running:
    # three per node) went over the management API - each member's own -,
    # none fell back to the CLI (each CLI read boots an Erlang VM).
    reads = [re.findall(r"\w+", block) for block in
             re.findall(r'"?read_from"?:\s*(\[[^\]]*\]|(?:\s*\n\s*- \w+)+)', result.stdout)]
    assert len(reads) == 3 * len(members) and all(read == ["api"] for read in reads), (reads, result.stdout[-3000:])
    probe.wait_for(lambda: publisher.confirmed <= consumer.seen, timeout=300)
    consumer.stop_event.set()
    consumer.join(timeout=30)
    lost = publisher.confirmed - consumer.seen
    print(
        "rolling restart under load: confirmed=%d delivered=%d lost=%d duplicates=%d publisher_reconnects=%d"
        % (len(publisher.confirmed), len(consumer.seen), len(lost), consumer.duplicates, publisher.reconnects)
    )
    assert len(publisher.confirmed) >= 3000
    assert not lost
    wait_all_running(members)


def test_partition_reheals_without_an_operator(once, members, addresses, admin):
    cut = members[-1]
    network = subprocess.check_output(
        ["docker", "inspect", "-f", "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}", cut], text=True
    ).split()[0]
    majority = [addresses[m] for m in members[:-1]]
    queue = "partition-%s" % uuid.uuid4().hex[:6]
    probe.declare_quorum_queue(majority[0], *admin, queue)
    publisher = probe.ConfirmedPublisher(majority, *admin, queue, minimum=1000, rate=100)
    consumer = probe.CountingConsumer(list(reversed(majority)), *admin, queue)
    consumer.start()
    publisher.start()
    subprocess.run(["docker", "network", "disconnect", network, cut], check=True)
    try:
        time.sleep(30)
    finally:
        subprocess.run(["docker", "network", "connect", "--alias", cut, network, cut], check=True)
    # The members' firewalls allow the addresses they had at converge time.
    assert probe.docker_address(cut) == addresses[cut], "%s came back with another address" % cut
    publisher.stop_event.set()
    publisher.join(timeout=300)
    wait_all_running(members, timeout=300)
    probe.wait_for(lambda: publisher.confirmed <= consumer.seen, timeout=300)
    consumer.stop_event.set()
    consumer.join(timeout=30)
    lost = publisher.confirmed - consumer.seen
    print("partition: confirmed=%d lost=%d duplicates=%d" % (len(publisher.confirmed), len(lost), consumer.duplicates))
    assert publisher.error is None, publisher.error
    assert not lost
    for member in members:
        assert not cluster_status(member)["partitions"]


def test_durable_queue_survives_full_stop_and_start(once, members, addresses, admin):
    queue = "persist-%s" % uuid.uuid4().hex[:6]
    bodies = [("m%d" % i).encode() for i in range(100)]
    connection = probe.amqp_connection(addresses[members[0]], *admin)
    channel = connection.channel()
    channel.confirm_delivery()
    channel.queue_declare(queue=queue, durable=True)
    for body in bodies:
        channel.basic_publish("", queue, body, pika.BasicProperties(delivery_mode=2), mandatory=True)
    connection.close()

    for member in reversed(members):
        docker_exec(member, "systemctl", "stop", "rabbitmq-server")
    for member in members:
        docker_exec(member, "systemctl", "start", "--no-block", "rabbitmq-server")
    wait_all_running(members, timeout=300)

    connection = probe.amqp_connection(addresses[members[0]], *admin, attempts=60)
    try:
        channel = connection.channel()
        received = []
        while True:
            method, _props, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                break
            received.append(body)
        assert received == bodies
    finally:
        connection.close()
    # Every quorum queue member is back, not only the nodes.
    wait_quorum_members_online(addresses[members[0]], admin)


HEALTH = os.path.join(PROJECT_DIR, "playbooks", "health.yml")


def test_health_report_is_read_only_and_healthy(once, members, addresses, admin):
    # A healthy cluster to report on: earlier tests restarted nodes.
    wait_quorum_members_online(addresses[members[0]], admin)
    for extra in ([], ["--check"]):
        result = probe.run_playbook(HEALTH, *extra)
        assert "verdict: HEALTHY" in result.output
        for member in members:
            assert "node rabbit@%s: running" % member in result.output
        assert probe.recap_changed(result.stdout) == 0


def test_health_report_fails_when_a_node_is_down(once, members):
    down = members[-1]
    docker_exec(down, "systemctl", "stop", "rabbitmq-server")
    try:
        result = probe.run_playbook(HEALTH, check=False)
        assert result.returncode != 0
        assert "UNHEALTHY" in result.output
        assert "rabbit@%s is down" % down in result.output
    finally:
        docker_exec(down, "systemctl", "start", "rabbitmq-server")
        wait_all_running(members)


def _uptimes(members):
    return {
        m: json.loads(subprocess.check_output(["docker", "exec", m, "rabbitmq-diagnostics", "-q", "status", "--formatter", "json"], text=True))["uptime"]
        for m in members
    }


# The host test_grow_then_shrink_on_request removed, and the inventory that
# keeps it in the group, marked for removal.
REMOVED = {}


def test_grow_then_shrink_on_request(once, members, addresses, hostvars, tmp_path):
    spare = hostvars["groups"].get("spare", [])
    if not spare:
        pytest.skip("this scenario has no spare host")
    new = spare[0]
    before = _uptimes(members)

    grow = tmp_path / "grow.yml"
    grow.write_text("rabbitmq:\n  hosts:\n    %s:\n" % new)
    # --check on a host that was never installed (its image has no package
    # lists): the install it would make, nothing changed anywhere.
    snapshots = {m: node_snapshot(m) for m in members}
    checked = probe.run_playbook(CONVERGE, "-i", str(grow), "--check")
    flat = " ".join(checked.output.split())
    assert "check mode: a real run refreshes the package lists and installs rabbitmq-server" in flat, \
        checked.output[-4000:]
    assert "check mode: %s is not running yet" % new in flat, checked.output[-4000:]
    assert {m: node_snapshot(m) for m in members} == snapshots
    assert subprocess.run(["docker", "exec", new, "test", "-e", "/usr/sbin/rabbitmqctl"]).returncode != 0
    probe.run_playbook(CONVERGE, "-i", str(grow))
    wait_all_running(members + [new])
    after = _uptimes(members)
    # The existing members were not restarted by the growth.
    assert all(after[m] > before[m] for m in members), (before, after)
    if hostvars.get("rabbitmq_cluster_firewall_enabled", False):
        # Every member, old and new, allows the new host (it joined above).
        for member in members + [new]:
            sets, _chains, _rules = firewall_table(subprocess.check_output(["docker", "exec", member] + FIREWALL_TABLE, text=True))
            assert sorted(sets["peers_ipv4"]) == sorted(list(addresses.values()) + [probe.docker_address(new)]), member

    shrink = tmp_path / "shrink.yml"
    shrink.write_text("rabbitmq:\n  hosts:\n    %s:\n      rabbitmq_cluster_remove: true\n" % new)
    result = probe.run_playbook(CONVERGE, "-i", str(shrink))
    assert "forget_cluster_node" in result.output or probe.recap_changed(result.stdout) > 0
    wait_all_running(members)
    assert "rabbit@%s" % new not in cluster_status(members[0])["disk_nodes"]
    state = subprocess.run(["docker", "exec", new, "systemctl", "is-active", "rabbitmq-server"], capture_output=True, text=True)
    assert state.stdout.strip() != "active"

    if hostvars.get("rabbitmq_cluster_firewall_enabled", False):
        # The run that removed it closed the inter-node ports to it once it
        # had left (the group still lists it, marked for removal).
        for member in members:
            sets, _chains, _rules = firewall_table(subprocess.check_output(["docker", "exec", member] + FIREWALL_TABLE, text=True))
            assert sorted(sets["peers_ipv4"]) == sorted(addresses.values()), member
        assert tcp_from(new, addresses[members[0]], 25672) == "timeout"
    REMOVED.update(inventory=str(shrink), host=new)


def test_firewall_off_then_on_again(once, firewall, members, addresses):
    # The same nftables code on every series: proven once, on the 4.x scenario
    # (two full converges; the tables above are still checked on 3.x). After
    # the growth test, with the host it removed still in the group, marked
    # for removal: both runs leave it alone (stopped, not started again) and
    # keep it out of the peer sets.
    if major_version(members[0]) < 4:
        pytest.skip("series-independent; runs in the 4.x cluster scenario")
    inventory = ["-i", REMOVED["inventory"]] if REMOVED else []
    off = probe.run_playbook(CONVERGE, "-e", '{"rabbitmq_cluster_firewall_enabled": false}', *inventory)
    assert probe.recap_changed(off.stdout) > 0
    for member in members:
        table = subprocess.run(["docker", "exec", member] + FIREWALL_TABLE, capture_output=True, text=True)
        assert table.returncode != 0, "%s still has the table" % member
        for path in ("/etc/systemd/system/mqops-rabbitmq-firewall.service", "/etc/mqops/rabbitmq-firewall.nft"):
            assert subprocess.run(["docker", "exec", member, "test", "-e", path]).returncode != 0, (member, path)
    assert tcp_from_controller(addresses[members[0]], 25672) == "open"
    wait_all_running(members)

    on = probe.run_playbook(CONVERGE, *inventory)
    assert probe.recap_changed(on.stdout) > 0
    for member in members:
        sets, _chains, _rules = firewall_table(subprocess.check_output(["docker", "exec", member] + FIREWALL_TABLE, text=True))
        assert sorted(sets["peers_ipv4"]) == sorted(addresses.values())
    assert tcp_from_controller(addresses[members[0]], 25672) == "timeout"
    wait_all_running(members)
    if REMOVED:
        gone = REMOVED["host"]
        assert tcp_from(gone, addresses[members[0]], 25672) == "timeout"
        for result in (off, on):
            assert "%s is marked rabbitmq_cluster_remove and its RabbitMQ is stopped and disabled: left alone" % gone \
                in " ".join(result.output.split()), result.output[-3000:]
            assert not re.search(r"changed: \[%s\]" % re.escape(gone), result.output), result.output[-3000:]
        state = subprocess.run(["docker", "exec", gone, "systemctl", "is-active", "rabbitmq-server"], capture_output=True, text=True)
        assert state.stdout.strip() != "active"
