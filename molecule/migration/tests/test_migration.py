"""Blue-green migration (playbooks/migrate.yml) on real brokers.

blue (RabbitMQ 3.10 cluster, mirrored classic queues) and old40 (RabbitMQ
4.0, quorum queues) move into green (RabbitMQ 4.3, Khepri). Messages are
numbered; every confirmed one must arrive on green.
"""

import hashlib
import json
import os
import re
import time

import pika
import pytest
import rabbitmq_probe as probe

PROJECT_DIR = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MIGRATE = os.path.join(PROJECT_DIR, "playbooks", "migrate.yml")


@pytest.fixture(scope="module")
def hostvars(host):
    return host.ansible.get_variables()


@pytest.fixture()
def once(host):
    """Cross-cluster tests run once, from the green node's test host entry."""
    if host.backend.get_hostname() != "green1":
        pytest.skip("runs once, for green1")


@pytest.fixture(scope="module")
def admin(hostvars):
    return hostvars.get("rabbitmq_server_admin_user", "admin"), hostvars["rabbitmq_server_admin_password"]


@pytest.fixture(scope="module")
def passwords(hostvars):
    return hostvars["migration_passwords"]


@pytest.fixture(scope="module")
def address():
    return {name: probe.docker_address(name) for name in ("blue1", "blue2", "old40", "green1")}


def api(address, path):
    return "http://%s:15672/api/%s" % (address, path)


def definitions_digest(address, admin):
    status, body = probe.http_get(api(address, "definitions"), *admin)
    assert status == 200
    for key in ("rabbit_version", "rabbitmq_version"):
        body.pop(key, None)
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def publish(address, user, password, vhost, queue, numbers, exchange="", routing_key=None):
    connection = probe.amqp_connection(address, user, password, vhost=vhost)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for number in numbers:
            channel.basic_publish(exchange, routing_key or queue, str(number).encode(),
                                  pika.BasicProperties(delivery_mode=2), mandatory=True)
    finally:
        connection.close()


def drain(address, user, password, vhost, queue, expected, timeout=300):
    """Consume from green until every expected number arrived (or time out)."""
    consumer = probe.CountingConsumer([address], user, password, queue, vhost=vhost, deadline=timeout + 30)
    consumer.start()
    try:
        probe.wait_for(lambda: expected <= consumer.seen, timeout=timeout, interval=2)
    except AssertionError:
        pass
    finally:
        # Anything still in flight: a short grace, then stop.
        time.sleep(2)
        consumer.stop_event.set()
        consumer.join(timeout=30)
    return consumer


def migrate(*extra, check=True):
    result = probe.run_playbook(MIGRATE, *extra, check=check)
    # The YAML callback folds long lines: compare words, not line breaks.
    result.text = " ".join(result.output.split())
    return result


def wait_depth(address, admin, vhost, queue, messages):
    """The management statistics (refreshed every 5 s) show the queue's depth."""
    def depth():
        status, body = probe.http_get(api(address, "queues/%s/%s" % (vhost, queue)), *admin)
        return status == 200 and body.get("messages") == messages
    probe.wait_for(depth, timeout=60, interval=1)


def queue_types(address, admin, vhost):
    status, queues = probe.http_get(api(address, "queues/%s?columns=name,type" % vhost), *admin)
    assert status == 200
    return {q["name"]: q["type"] for q in queues}


def test_3_10_cluster_moves_to_4_3_under_load_and_loses_nothing(once, address, admin, passwords):
    user, password = "shop-app", passwords["shop"]
    blue = [address["blue1"], address["blue2"]]
    green = address["green1"]
    blue_digest = definitions_digest(blue[0], admin)
    preload = set(range(2000))
    publish(blue[0], user, password, "shop", "shop.orders", sorted(preload))
    publish(blue[1], user, password, "shop", "shop.priority", range(100))
    # The binding shop.events -> legacy.audit ('#') moves too.
    publish(blue[0], user, password, "shop", "legacy.audit", range(50), exchange="shop.events", routing_key="x.y")
    wait_depth(blue[0], admin, "shop", "shop.orders", len(preload))

    # Clients keep publishing to blue while the migration starts.
    on_blue = probe.ConfirmedPublisher(blue, user, password, "shop.orders", minimum=3000, vhost="shop", first=100000)
    on_blue.start()
    started = time.monotonic()
    try:
        # The default wait, cut short: blue keeps receiving, so it may not
        # read empty - reported, not an error, before finishing.
        first = migrate("--diff", "-v", "-e", '{"rabbitmq_migrate_drain_timeout": 15}')
    finally:
        on_blue.stop_event.set()
        on_blue.join(timeout=600)
    assert on_blue.error is None, on_blue.error
    assert probe.recap_changed(first.stdout) > 0
    for secret in (admin[1], passwords["shop"], passwords["billing"]):
        assert secret not in first.output
    assert "mirrored classic queue (policy shop-ha) declared as a quorum queue" in first.text
    assert "policy legacy-lazy in vhost shop: not carried over" in first.text

    # Clients switch to green; blue's remainder is still being shovelled.
    on_green = probe.ConfirmedPublisher([green], user, password, "shop.orders", minimum=1000, vhost="shop",
                                        first=200000)
    on_green.start()
    on_green.stop_event.set()
    on_green.join(timeout=600)
    assert on_green.error is None, on_green.error

    finish = migrate("-e", '{"rabbitmq_migrate_finish": true}')
    elapsed = time.monotonic() - started
    assert "shop/shop.orders (classic -> quorum): blue before" in finish.text
    assert "blue now 0" in finish.text
    status, shovels = probe.http_get(api(green, "shovels"), *admin)
    assert status == 200 and [s["name"] for s in shovels] == []

    expected = preload | on_blue.confirmed | on_green.confirmed
    consumer = drain(green, user, password, "shop", "shop.orders", expected)
    lost = expected - consumer.seen
    priority = drain(green, user, password, "shop", "shop.priority", set(range(100)), timeout=60)
    audit = drain(green, user, password, "shop", "legacy.audit", set(range(50)), timeout=60)
    print("3.10 -> 4.3 migration: preloaded=%d published on blue during the move=%d (confirmed) on green=%d "
          "received on green=%d lost=%d duplicates=%d; shop.priority %d/100, legacy.audit %d/50; wall time %.0f s"
          % (len(preload), len(on_blue.confirmed), len(on_green.confirmed), len(consumer.seen), len(lost),
             consumer.duplicates, len(priority.seen), len(audit.seen), elapsed))
    assert not lost, "lost %d confirmed messages, e.g. %s" % (len(lost), sorted(lost)[:10])
    assert priority.seen == set(range(100)) and audit.seen == set(range(50))

    # Definitions on green: blue's, minus the converted features.
    assert queue_types(green, admin, "shop") == {"shop.orders": "quorum", "shop.priority": "quorum",
                                                  "legacy.audit": "classic"}
    status, policies = probe.http_get(api(green, "policies/shop"), *admin)
    assert {p["name"]: p["definition"] for p in policies} == {"shop-ha": {"max-length": 100000}}
    status, bindings = probe.http_get(api(green, "exchanges/shop/shop.events/bindings/source"), *admin)
    assert sorted((b["destination"], b["routing_key"]) for b in bindings) == [("legacy.audit", "#"),
                                                                               ("shop.orders", "order.#")]
    # The user logs in on green with the password it had on blue.
    status, whoami = probe.http_get(api(green, "whoami"), user, password)
    assert status == 200 and whoami["tags"] == ["monitoring"]
    # Blue keeps everything (nothing deleted without rabbitmq_migrate_delete_blue_vhosts).
    assert definitions_digest(blue[0], admin) == blue_digest

    again = migrate("-e", '{"rabbitmq_migrate_finish": true}')
    assert probe.recap_changed(again.stdout) == 0


def test_careless_settings_are_refused_before_anything_changes(once, address, admin):
    before = definitions_digest(address["green1"], admin)
    cases = [
        (["-e", "rabbitmq_migrate_blue_group=bleu"], "rabbitmq_migrate_blue_group"),
        (["-e", '{"rabbitmq_migrate_vhosts": ["nope"]}', "-e", "rabbitmq_migrate_blue_group=blue40"],
         "rabbitmq_migrate_vhosts: nope not on blue"),
        (["-e", '{"rabbitmq_migrate_delete_blue_vhosts": true}'], "needs rabbitmq_migrate_finish"),
        (["-e", "rabbitmq_migrate_blue_api_password=wrong-Password-1"], "Blue (blue1"),
    ]
    for extra, message in cases:
        result = migrate(*extra, check=False)
        assert result.returncode != 0, extra
        assert message in result.text, (extra, result.output[-2000:])
        assert "wrong-Password-1" not in result.output
        assert probe.recap_changed(result.stdout) == 0
    assert definitions_digest(address["green1"], admin) == before


def test_4_0_moves_to_4_3_after_refusing_a_conflict(once, address, admin, passwords):
    user, password = "billing-app", passwords["billing"]
    old40, green = address["old40"], address["green1"]
    args = ("-e", "rabbitmq_migrate_blue_group=blue40", "-e", '{"rabbitmq_migrate_vhosts": ["billing"]}')
    # Green already has billing.invoices, as a classic queue: refused, nothing changed.
    assert probe.http_request("PUT", api(green, "vhosts/billing"), *admin, body={}) in (201, 204)
    assert probe.http_request("PUT", api(green, "queues/billing/billing.invoices"), *admin,
                              body={"durable": True, "arguments": {"x-queue-type": "classic"}}) in (201, 204)
    before = definitions_digest(green, admin)
    refused = migrate(*args, check=False)
    assert refused.returncode != 0
    assert "queue billing.invoices in vhost billing exists on green with another type" in refused.text
    assert "Nothing was changed" in refused.text
    assert probe.recap_changed(refused.stdout) == 0
    assert definitions_digest(green, admin) == before
    assert probe.http_request("DELETE", api(green, "vhosts/billing"), *admin) == 204

    # Check mode shows the changes and makes none.
    empty = definitions_digest(green, admin)
    checked = migrate(*(args + ("--check", "--diff")))
    assert probe.recap_changed(checked.stdout) > 0 and "vhost=billing, name=billing.invoices" in checked.text
    assert definitions_digest(green, admin) == empty

    numbers = set(range(1000))
    publish(old40, user, password, "billing", "billing.invoices", sorted(numbers))
    wait_depth(old40, admin, "billing", "billing.invoices", len(numbers))
    started = time.monotonic()
    moved = migrate(*args)
    assert "billing/billing.invoices (quorum -> quorum): blue before 1000, blue now 0" in moved.text
    finish = migrate(*(args + ("-e", '{"rabbitmq_migrate_finish": true}')))
    elapsed = time.monotonic() - started
    consumer = drain(green, user, password, "billing", "billing.invoices", numbers)
    print("4.0 -> 4.3 migration: published on blue=%d received on green=%d lost=%d duplicates=%d; wall time %.0f s"
          % (len(numbers), len(consumer.seen), len(numbers - consumer.seen), consumer.duplicates, elapsed))
    assert consumer.seen == numbers
    assert queue_types(green, admin, "billing") == {"billing.invoices": "quorum", "billing.scratch": "classic"}
    assert probe.recap_changed(finish.stdout) > 0
    assert probe.recap_changed(migrate(*(args + ("-e", '{"rabbitmq_migrate_finish": true}'))).stdout) == 0

    # Decommission, on request only: the moved virtual host disappears from blue.
    gone = migrate(*(args + ("-e", '{"rabbitmq_migrate_finish": true, "rabbitmq_migrate_delete_blue_vhosts": true}')))
    assert probe.http_get(api(old40, "vhosts/billing"), *admin)[0] == 404, gone.output[-3000:]


CONVERGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "converge.yml")


def test_4_0_to_4_3_in_place_is_refused_naming_the_migration(host):
    """RabbitMQ has no in-place path from 4.0 to 4.3: asked for it, the server
    role refuses before anything changes and points at the migration."""
    if host.backend.get_hostname() != "old40":
        pytest.skip("runs on old40 (RabbitMQ 4.0)")
    version = host.package("rabbitmq-server").version
    pid = host.check_output("systemctl show -p MainPID --value rabbitmq-server")
    result = probe.run_playbook(CONVERGE, "--limit", "old40", "-e", "rabbitmq_server_version=4.3.6*", check=False)
    text = " ".join(result.output.split())
    assert result.returncode != 0
    assert "Refusing the version change on old40 before changing anything" in text, text[-3000:]
    assert "Supported path: 4.0 -> " in text and " -> 4.3, one series per run" in text
    assert "playbooks/migrate.yml" in text
    assert probe.recap_changed(result.stdout) == 0
    assert host.package("rabbitmq-server").version == version
    assert host.check_output("systemctl show -p MainPID --value rabbitmq-server") == pid


SERVER = os.path.join(PROJECT_DIR, "playbooks", "server.yml")


def test_deprecated_features_in_use_are_named_by_a_no_op_run(host, hostvars):
    """RabbitMQ 4.0 still permits transient non-exclusive queues (a deprecated
    feature 4.3 denies): a cluster that uses one is told so by name at the end
    of a run, read over the management API with the node's state (no read
    more), and nothing changes."""
    if host.backend.get_hostname() != "old40":
        pytest.skip("runs on old40 (RabbitMQ 4.0)")
    admin = (hostvars.get("rabbitmq_server_admin_user", "admin"), hostvars["rabbitmq_server_admin_password"])
    queue = api(probe.docker_address("old40"), "queues/%2F/deprecated-transient")
    assert probe.http_request("PUT", queue, *admin, body={"durable": False, "auto_delete": False}) in (201, 204)
    try:
        result = probe.run_playbook(SERVER, "--limit", "old40", "-v")
    finally:
        assert probe.http_request("DELETE", queue, *admin) == 204
    text = " ".join(result.output.split())
    assert ("WARNING: cluster blue40 uses deprecated features that a later RabbitMQ removes: "
            "transient_nonexcl_queues. Stop using them") in text, text[-3000:]
    # Read once, with the node's state, over old40's own management API (the
    # server role's read of the host); the cluster role reads nothing more.
    state = result.stdout.split("Read the node's state]", 1)[1].split("TASK [", 1)[0]
    assert re.search(r'"?read_from"?:\s*"?api\b', state), state[-3000:]
    assert re.search(r'"?deprecated_features_used"?:\s*(\[\s*"?|\n\s*- )transient_nonexcl_queues', state), state[-3000:]
    block = result.stdout.split("Read the deprecated features the cluster uses", 1)[1].split("TASK [", 1)[0]
    assert "skipping: [old40]" in block and "read_from" not in block, block
    assert probe.recap_changed(result.stdout) == 0
