"""Two brokers: an exchange federation link and a dynamic shovel, running and carrying messages.

fedup (RabbitMQ 3.10) is upstream, feddown (RabbitMQ 4.3) downstream. The
tests run once, from feddown's test session (fedup's session skips them),
and reach both brokers on their container addresses.
"""

import os
import uuid

import pika
import pytest
import rabbitmq_probe as probe
import testinfra


@pytest.fixture(scope="module")
def hostvars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def brokers(host, hostvars):
    if hostvars["inventory_hostname"] != "feddown":
        pytest.skip("run once, from the downstream's session")
    inventory = host.backend.ansible_inventory or os.environ["MOLECULE_INVENTORY_FILE"]
    upstream = testinfra.get_host("ansible://fedup", ansible_inventory=inventory)
    return {"fedup": probe.container_address(upstream), "feddown": probe.container_address(host)}


@pytest.fixture(scope="module")
def admin(hostvars):
    return hostvars.get("rabbitmq_server_admin_user", "admin"), hostvars["rabbitmq_server_admin_password"]


@pytest.fixture(scope="module")
def app(hostvars):
    return "app", hostvars["federation_passwords"]["app"]


def api(address, admin, path):
    status, body = probe.http_get("http://%s:15672%s" % (address, path), *admin)
    assert status == 200, (path, status)
    return body


def connect(address, user, password):
    params = pika.ConnectionParameters(
        host=address, virtual_host="events", credentials=pika.PlainCredentials(user, password),
        connection_attempts=1, socket_timeout=5,
    )
    return pika.BlockingConnection(params)


def publish(address, credentials, exchange, routing_key, body):
    connection = connect(address, *credentials)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(exchange=exchange, routing_key=routing_key, body=body,
                              properties=pika.BasicProperties(delivery_mode=2))
    finally:
        connection.close()


def receive(address, credentials, queue):
    connection = connect(address, *credentials)
    try:
        channel = connection.channel()

        def get():
            method, _properties, body = channel.basic_get(queue=queue, auto_ack=True)
            return body if method is not None else None

        return probe.wait_for(get, timeout=60, interval=0.5)
    finally:
        connection.close()


def test_versions(brokers, admin):
    assert api(brokers["fedup"], admin, "/api/overview")["rabbitmq_version"].startswith("3.10")
    assert api(brokers["feddown"], admin, "/api/overview")["rabbitmq_version"].startswith("4.3")


def test_federation_link_is_running(brokers, admin):
    def link():
        links = [entry for entry in api(brokers["feddown"], admin, "/api/federation-links/events")
                 if entry.get("exchange") == "metrics" and entry.get("upstream") == "fedup"]
        return links[0] if links and links[0]["status"] == "running" else None

    running = probe.wait_for(link, timeout=120)
    assert running["type"] == "exchange"
    # The credentials never show in the link's URI.
    assert "@" not in running.get("uri", "")


def test_message_published_upstream_arrives_downstream(brokers, admin, app):
    test_federation_link_is_running(brokers, admin)
    body = ("metric " + uuid.uuid4().hex).encode()
    publish(brokers["fedup"], app, "metrics", "cpu.load", body)
    assert receive(brokers["feddown"], app, "metrics.all") == body


def test_shovel_is_running(brokers, admin):
    def state():
        shovels = [s for s in api(brokers["fedup"], admin, "/api/shovels/events") if s["name"] == "outbox-to-feddown"]
        return shovels[0] if shovels and shovels[0]["state"] == "running" else None

    running = probe.wait_for(state, timeout=120)
    assert running["type"] == "dynamic"


def test_shovel_moves_messages_to_the_other_broker(brokers, admin, app):
    test_shovel_is_running(brokers, admin)
    body = ("shovelled " + uuid.uuid4().hex).encode()
    publish(brokers["fedup"], app, "", "outbox", body)
    assert receive(brokers["feddown"], app, "inbox") == body
