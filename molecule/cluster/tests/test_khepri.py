"""RabbitMQ 4.3 on Khepri, as the converged cluster reports it.

The `cluster` scenario (4.3) runs these besides test_cluster.py; on the
`cluster_classic` scenario (3.10, same directory) they are skipped.
"""

import json
import uuid

import pika
import pytest
import rabbitmq_probe as probe


@pytest.fixture(autouse=True)
def only_cluster_members_on_4_3(host, members):
    if host.backend.get_hostname() not in members:
        pytest.skip("%s is not a cluster member" % host.backend.get_hostname())
    if not host.package("rabbitmq-server").version.split(":")[-1].startswith("4.3."):
        pytest.skip("RabbitMQ 4.3 (Khepri) checks")


@pytest.fixture()
def topology(hostvars):
    if not hostvars.get("rabbitmq_definitions_vhosts"):
        pytest.skip("no topology declared in this scenario")


def test_rabbitmq_4_3_on_erlang_29(host):
    status = probe.node_status(host)
    package = host.package("rabbitmq-server").version.split(":")[-1].split("-")[0]
    assert status["rabbitmq_version"] == package
    assert status["rabbitmq_version"].startswith("4.3.")
    assert host.check_output("rabbitmqctl -q eval 'erlang:system_info(otp_release).'").strip('"') == "29"


def test_khepri_is_the_metadata_store_of_every_member(host, members):
    flags = {f["name"]: f["state"] for f in json.loads(host.check_output("rabbitmqctl -q list_feature_flags --formatter json"))}
    assert flags["khepri_db"] == "enabled"
    # One Raft cluster of all members: every one a voter, one leader.
    store = json.loads(host.check_output("rabbitmq-diagnostics -q metadata_store_status --formatter json"))
    assert sorted(m["Node Name"] for m in store) == sorted("rabbit@%s" % m for m in members)
    assert {m["Membership"] for m in store} == {"voter"}
    assert [m["Raft State"] for m in store].count("leader") == 1


def test_federation_plugin_pulls_in_the_4_3_split(host):
    plugins = {p["name"]: p for p in json.loads(host.check_output("rabbitmq-plugins -q list --formatter json"))["plugins"]}
    assert plugins["rabbitmq_federation"]["enabled"] == "enabled"
    for part in ("rabbitmq_exchange_federation", "rabbitmq_queue_federation", "rabbitmq_federation_common"):
        assert plugins[part]["enabled"] == "implicit" and plugins[part]["running"], part


def test_no_deprecated_feature_in_use(host):
    host.check_output("rabbitmq-diagnostics -q check_if_any_deprecated_features_are_used")


def test_declared_topology_on_every_member(host, admin, members, topology):
    address = probe.container_address(host)
    code, vhost = probe.http_get("http://%s:15672/api/vhosts/orders" % address, *admin)
    assert code == 200 and vhost["default_queue_type"] == "quorum"
    code, queues = probe.http_get("http://%s:15672/api/queues/orders" % address, *admin)
    queues = {q["name"]: q for q in queues}
    assert queues["orders.created"]["type"] == "quorum"
    assert queues["orders.created"]["policy"] == "orders-limits"
    assert queues["orders.created"]["effective_policy_definition"]["delivery-limit"] == 5
    assert len(queues["orders.created"]["members"]) == len(members)
    assert queues["orders.log"]["type"] == "stream"


def test_application_user_publishes_through_the_topic_exchange(host, hostvars, members, topology):
    if host.backend.get_hostname() != members[0]:
        pytest.skip("runs once, on %s" % members[0])
    user = next(u for u in hostvars["rabbitmq_definitions_users"] if u["name"] == "orders-app")
    address = probe.container_address(host)
    body = uuid.uuid4().hex.encode()
    connection = pika.BlockingConnection(
        pika.ConnectionParameters(
            host=address, virtual_host="orders", credentials=pika.PlainCredentials(user["name"], user["password"])
        )
    )
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish("orders.events", "order.created", body, pika.BasicProperties(delivery_mode=2), mandatory=True)
        method, _props, received = channel.basic_get("orders.created", auto_ack=True)
        assert method is not None and received == body
    finally:
        connection.close()
