"""Protocols beyond AMQP 0-9-1, each through a real client of that protocol.

Every test connects from the test host to the node's address: a listener
that is not open (plugin off, wrong port, bound elsewhere) fails it.
"""

import asyncio
import base64
import concurrent.futures
import json
import os
import ssl
import subprocess
import urllib.error
import urllib.request
import threading
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
import rabbitmq_probe as probe
import stomp
import websocket
from rstream import AMQPMessage, Consumer, ConsumerOffsetSpecification, OffsetType, Producer, amqp_decoder

PROJECT_DIR = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TLS_DIR = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "tls")


@pytest.fixture(scope="module")
def hostvars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def name(host):
    return host.backend.get_hostname()


@pytest.fixture(scope="module")
def address(name):
    return probe.docker_address(name)


@pytest.fixture(scope="module")
def app(hostvars):
    return "app", hostvars["protocols_app_password"]


@pytest.fixture(scope="module")
def admin(hostvars):
    return hostvars.get("rabbitmq_server_admin_user", "admin"), hostvars["rabbitmq_server_admin_password"]


def tls_context():
    """Verifies the node's certificate against the test CA (by CA, not by name:
    the test host reaches the nodes by address)."""
    context = ssl.create_default_context(cafile=os.path.join(TLS_DIR, "ca.pem"))
    context.check_hostname = False
    return context


# --- MQTT -----------------------------------------------------------------


def mqtt_client(address, port, credentials, transport="tcp", tls=False):
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="mqops-%s" % uuid.uuid4().hex[:8],
                         transport=transport, protocol=mqtt.MQTTv311)
    if transport == "websockets":
        client.ws_set_options(path="/ws")
    if tls:
        client.tls_set_context(tls_context())
    if credentials:
        client.username_pw_set(*credentials)
    client.connected = threading.Event()
    client.connack = None

    def on_connect(_client, _userdata, _flags, reason_code, _properties):
        client.connack = reason_code
        client.connected.set()

    client.on_connect = on_connect
    client.connect(address, port, keepalive=30)
    client.loop_start()
    assert client.connected.wait(15), "no CONNACK from %s:%s" % (address, port)
    return client


def mqtt_round_trip(address, port, credentials, transport="tcp", tls=False):
    """Subscribe QoS 1, publish QoS 1, return what the subscriber got."""
    topic = "sensors/%s/temp" % uuid.uuid4().hex[:6]
    received, got = [], threading.Event()
    subscriber = mqtt_client(address, port, credentials, transport, tls)
    publisher = mqtt_client(address, port, credentials, transport, tls)
    try:
        assert not subscriber.connack.is_failure, subscriber.connack
        subscribed = threading.Event()
        subscriber.on_subscribe = lambda *args: subscribed.set()
        subscriber.on_message = lambda _c, _u, message: (received.append((message.topic, message.payload,
                                                                           message.qos)), got.set())
        subscriber.subscribe("sensors/+/temp", qos=1)
        assert subscribed.wait(10)
        info = publisher.publish(topic, b"21.5", qos=1)
        info.wait_for_publish(10)
        assert info.is_published()
        assert got.wait(10), "the subscriber received nothing"
        return received[0], topic
    finally:
        for client in (subscriber, publisher):
            client.disconnect()
            client.loop_stop()


@pytest.mark.parametrize("port,transport,tls", [(1883, "tcp", False), (8883, "tcp", True),
                                                (15675, "websockets", False)], ids=["mqtt", "mqtts", "web-mqtt"])
def test_mqtt_qos1_publish_reaches_a_subscriber(address, app, port, transport, tls):
    (topic, payload, qos), sent_topic = mqtt_round_trip(address, port, app, transport, tls)
    assert (topic, payload, qos) == (sent_topic, b"21.5", 1)


def test_mqtt_lands_in_the_configured_vhost_and_exchange(address, app):
    # rabbitmq_server_mqtt_vhost: iot, rabbitmq_server_mqtt_exchange: iot.mqtt
    connection = probe.amqp_connection(address, *app, vhost="iot")
    try:
        channel = connection.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue, "iot.mqtt", "sensors.#")
        publisher = mqtt_client(address, 1883, app)
        info = publisher.publish("sensors/9/temp", b"from-mqtt", qos=1)
        info.wait_for_publish(10)
        publisher.disconnect()
        publisher.loop_stop()
        body = probe.wait_for(lambda: channel.basic_get(queue, auto_ack=True)[2], timeout=10, interval=0.5)
        assert body == b"from-mqtt"
    finally:
        connection.close()


def test_mqtt_packet_size_limit_on_4x(name, address, app):
    if name != "proto14":
        pytest.skip("rabbitmq_server_mqtt_max_packet_size is set on proto14 (RabbitMQ 4.x) only")
    received, got = [], threading.Event()
    subscriber = mqtt_client(address, 1883, app)
    subscriber.on_message = lambda _c, _u, message: (received.append(len(message.payload)), got.set())
    subscribed = threading.Event()
    subscriber.on_subscribe = lambda *args: subscribed.set()
    subscriber.subscribe("limits/#", qos=1)
    assert subscribed.wait(10)
    publisher = mqtt_client(address, 1883, app)
    try:
        lost = threading.Event()
        publisher.on_disconnect = lambda *args: lost.set()
        publisher.publish("limits/big", b"x" * 100000, qos=1)
        # Over 65536 bytes: the broker refuses the packet (and closes the
        # publisher's connection); a small one still goes through.
        lost.wait(10)
        small = mqtt_client(address, 1883, app)
        small.publish("limits/small", b"x" * 1000, qos=1).wait_for_publish(10)
        small.disconnect()
        small.loop_stop()
        assert got.wait(10)
        time.sleep(1)
        assert received == [1000], "delivered sizes: %s" % received
    finally:
        for client in (subscriber, publisher):
            client.disconnect()
            client.loop_stop()


def test_mqtt_refuses_anonymous_and_wrong_passwords(address, app):
    for credentials in (None, (app[0], "not-the-password")):
        client = mqtt_client(address, 1883, credentials)
        try:
            assert client.connack.is_failure, "MQTT accepted %s" % ("no credentials" if credentials is None
                                                                     else "a wrong password")
        finally:
            client.disconnect()
            client.loop_stop()


# --- STOMP ----------------------------------------------------------------


class StompListener(stomp.ConnectionListener):
    def __init__(self):
        self.messages, self.got = [], threading.Event()

    def on_message(self, frame):
        self.messages.append(frame.body)
        self.got.set()


def test_stomp_send_and_receive(address, app):
    connection = stomp.Connection([(address, 61613)], heartbeats=(0, 0))
    listener = StompListener()
    connection.set_listener("", listener)
    connection.connect(*app, wait=True, headers={"host": "/"})
    try:
        connection.subscribe(destination="/queue/stomp.inbox", id="1", ack="auto")
        body = "hello-%s" % uuid.uuid4().hex[:6]
        connection.send(destination="/queue/stomp.inbox", body=body)
        assert listener.got.wait(10), "no STOMP message received"
        assert listener.messages == [body]
    finally:
        connection.disconnect()


def stomp_frame(command, headers, body=""):
    return "%s\n%s\n\n%s\x00" % (command, "\n".join("%s:%s" % item for item in headers.items()), body)


def test_web_stomp_send_and_receive(address, app):
    ws = websocket.create_connection("ws://%s:15674/ws" % address, subprotocols=["v12.stomp"], timeout=10)
    try:
        ws.send(stomp_frame("CONNECT", {"accept-version": "1.2", "host": "/", "login": app[0], "passcode": app[1],
                                        "heart-beat": "0,0"}))
        assert ws.recv().startswith("CONNECTED")
        ws.send(stomp_frame("SUBSCRIBE", {"id": "0", "destination": "/queue/stomp.inbox", "ack": "auto"}))
        body = "web-%s" % uuid.uuid4().hex[:6]
        ws.send(stomp_frame("SEND", {"destination": "/queue/stomp.inbox", "content-type": "text/plain"}, body))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            frame = ws.recv()
            if frame.startswith("MESSAGE"):
                assert frame.split("\n\n", 1)[1].rstrip("\n").rstrip("\x00") == body
                return
        pytest.fail("no MESSAGE frame over Web STOMP")
    finally:
        ws.close()


# --- Streams ----------------------------------------------------------------


async def stream_read(address, app, marker, count, offset_specification):
    """(number, offset) of this run's messages, read from the given offset on."""
    received, done = [], asyncio.Event()

    async def on_message(message, context):
        body = bytes(message.body if not isinstance(message.body, list) else message.body[0]).decode()
        if body.startswith(marker + "-"):
            received.append((int(body.split("-")[1]), context.offset))
        if received and received[-1][0] == count - 1:
            done.set()

    consumer = Consumer(address, 5552, username=app[0], password=app[1])
    await consumer.start()
    await consumer.subscribe("events.stream", on_message, decoder=amqp_decoder,
                             offset_specification=offset_specification)
    runner = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(done.wait(), 20)
    finally:
        await consumer.close()
        runner.cancel()
    return received


async def stream_round_trip(address, app, count):
    marker = uuid.uuid4().hex[:6]
    # Without load-balancer mode the client connects where the node
    # advertises the stream's leader (rabbitmq_server_stream_advertised_host).
    async with Producer(address, 5552, username=app[0], password=app[1]) as producer:
        for number in range(count):
            await producer.send_wait("events.stream", AMQPMessage(body=("%s-%d" % (marker, number)).encode()))
    everything = await stream_read(address, app, marker, count, ConsumerOffsetSpecification(OffsetType.FIRST, None))
    middle = dict(everything)[count // 2]
    tail = await stream_read(address, app, marker, count, ConsumerOffsetSpecification(OffsetType.OFFSET, middle))
    return everything, tail


def test_stream_protocol_publish_and_read_back_from_an_offset(address, app):
    everything, tail = asyncio.run(stream_round_trip(address, app, 100))
    assert [number for number, _ in everything] == list(range(100))
    # From the offset of message 50 on: exactly 50..99.
    assert [number for number, _ in tail] == list(range(50, 100))


# --- Exchange and tracing plugins -------------------------------------------


def test_consistent_hash_exchange_spreads_by_routing_key(address, app):
    connection = probe.amqp_connection(address, *app)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        queues = ["spread.1", "spread.2", "spread.3"]
        for queue in queues:
            channel.queue_purge(queue)
        for number in range(600):
            channel.basic_publish("spread", "key-%d" % number, b"x", mandatory=True)
        counts = [channel.queue_declare(queue, passive=True).method.message_count for queue in queues]
        assert sum(counts) == 600
        assert all(count > 100 for count in counts), counts
        # The same routing key always lands in the same queue.
        for queue in queues:
            channel.queue_purge(queue)
        for _ in range(30):
            channel.basic_publish("spread", "one-key", b"x", mandatory=True)
        counts = sorted(channel.queue_declare(queue, passive=True).method.message_count for queue in queues)
        assert counts == [0, 0, 30]
    finally:
        connection.close()


def test_tracing_plugin_records_a_trace(address, admin, app):
    trace = "mqops-%s" % uuid.uuid4().hex[:6]
    base = "http://%s:15672/api" % address
    assert probe.http_request("PUT", "%s/traces/%%2F/%s" % (base, trace), *admin,
                              # The tracer's own connection logs in as a user of
                              # the vhost (its default, guest, does not exist).
                              body={"format": "text", "pattern": "#", "tracer_connection_username": app[0],
                                    "tracer_connection_password": app[1]}) in (201, 204)
    try:
        body = "traced-%s" % uuid.uuid4().hex[:6]
        connection = probe.amqp_connection(address, *app)
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            channel.basic_publish("", "stomp.inbox", body.encode(), mandatory=True)
            channel.queue_purge("stomp.inbox")
        finally:
            connection.close()

        def logged():
            request = urllib.request.Request("%s/trace-files/%s.log" % (base, trace))
            token = base64.b64encode(("%s:%s" % admin).encode()).decode()
            request.add_header("Authorization", "Basic " + token)
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return body in response.read().decode(errors="replace")
            except urllib.error.HTTPError:
                return False

        probe.wait_for(logged, timeout=30, interval=1)
    finally:
        probe.http_request("DELETE", "%s/traces/%%2F/%s" % (base, trace), *admin)
        probe.http_request("DELETE", "%s/trace-files/%s.log" % (base, trace), *admin)


# --- Prometheus -------------------------------------------------------------


def metrics(address, path="/metrics"):
    with urllib.request.urlopen("http://%s:15692%s" % (address, path), timeout=15) as response:
        assert response.headers.get_content_type() == "text/plain"
        return response.read().decode()


def test_prometheus_scrape_names_the_node_and_follows_the_per_object_setting(name, address, admin, hostvars):
    """A scrape from the test host: the node identifies itself, and a queue
    has its own series on /metrics only with per-object metrics on (always on
    /metrics/per-object)."""
    assert 'rabbitmq_identity_info{rabbitmq_node="rabbit@%s"' % name in metrics(address)
    per_object = hostvars.get("rabbitmq_server_prometheus_per_object_metrics", False)
    queue = "metrics-%s" % uuid.uuid4().hex[:6]
    series = 'queue="%s"' % queue
    connection = probe.amqp_connection(address, *admin)
    try:
        channel = connection.channel()
        channel.queue_declare(queue=queue, durable=True)
        channel.basic_publish("", queue, b"counted")

        def ready():
            """The queue's messages_ready series on /metrics/per-object (its values)."""
            return [line.split()[-1] for line in metrics(address, "/metrics/per-object").splitlines()
                    if line.startswith("rabbitmq_queue_messages_ready{") and series in line]

        # Series follow the statistics interval (5 s by default).
        probe.wait_for(lambda: ready() in (["1"], ["1.0"]), timeout=60, interval=2)
        assert (series in metrics(address)) == per_object, "per-object series on /metrics: expected %s" % per_object
    finally:
        connection.channel().queue_delete(queue=queue)
        connection.close()


# --- What the node reports ----------------------------------------------------


def test_health_report_lists_every_protocol_listener(name):
    result = probe.run_playbook(os.path.join(PROJECT_DIR, "playbooks", "health.yml"), "--limit", name)
    text = " ".join(result.output.split())
    for listener in ("amqp 5672", "amqp/ssl 5671", "mqtt 1883", "mqtt/ssl 8883", "stomp 61613", "stomp/ssl 61614",
                     "stream 5552", "stream/ssl 5551", "http/web-mqtt 15675", "http/web-stomp 15674", "http/prometheus 15692"):
        assert listener in text, (listener, result.output[-3000:])


# --- Listeners follow the plugins; careless settings are refused -------------

CONVERGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "converge.yml")


def test_a_plugin_turned_off_closes_its_listeners(host, name, address, app, hostvars):
    if name != "proto14":
        pytest.skip("once, on proto14")
    plugins = [p for p in hostvars["rabbitmq_server_plugins"] if p not in ("rabbitmq_stomp", "rabbitmq_web_stomp")]
    try:
        probe.run_playbook(CONVERGE, "--limit", name, "-e", json.dumps({"rabbitmq_server_plugins": plugins}))
        assert not probe.port_open(address, 61613) and not probe.port_open(address, 61614) and not probe.port_open(address, 15674)
        assert "stomp" not in host.file("/etc/rabbitmq/rabbitmq.conf").content_string
        assert probe.port_open(address, 1883)
    finally:
        probe.run_playbook(CONVERGE, "--limit", name)
    assert probe.port_open(address, 61613) and probe.port_open(address, 15674)
    test_stomp_send_and_receive(address, app)


CARELESS = [
    ("mqtt-on-amqp-port", {"rabbitmq_server_mqtt_port": 5672}, "rabbitmq_server_mqtt_port=5672"),
    ("stream-tls-on-mqtts-port", {"rabbitmq_server_stream_tls_port": 8883}, "rabbitmq_server_stream_tls_port=8883"),
    ("stream-port-range", {"rabbitmq_server_stream_port": 70000},
     "rabbitmq_server_stream_port is 70000; allowed: an integer from 1 to 65535"),
    ("mqtt-vhost-empty", {"rabbitmq_server_mqtt_vhost": ""},
     "rabbitmq_server_mqtt_vhost and rabbitmq_server_mqtt_exchange must not be empty"),
    ("mqtt-packet-size-on-3.10", {"rabbitmq_server_mqtt_max_packet_size": 1024}, "has no MQTT packet size limit"),
    ("prometheus-on-management-port", {"rabbitmq_server_prometheus_port": 15672}, "rabbitmq_server_prometheus_port=15672"),
]
CARELESS_NODE = "proto12"


def _careless_snapshot():
    """What a refused run must leave as it was: the configuration file and the broker's process."""
    return subprocess.run(["docker", "exec", CARELESS_NODE, "sh", "-c",
                           "sha256sum /etc/rabbitmq/rabbitmq.conf; systemctl show -p MainPID --value rabbitmq-server"],
                          capture_output=True, text=True, check=True, timeout=60).stdout


def _careless_run(case):
    case_id, extra, _message = case
    before = _careless_snapshot()
    result = probe.run_playbook(CONVERGE, "--limit", CARELESS_NODE, "-e", json.dumps(extra), check=False)
    return case_id, (result, before, _careless_snapshot())


@pytest.fixture(scope="module")
def careless_outcomes():
    """Every careless setting's run, three at a time (each is refused before any change)."""
    initial = _careless_snapshot()
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = dict(pool.map(_careless_run, CARELESS))
    return initial, outcomes, _careless_snapshot()


@pytest.mark.parametrize("case", CARELESS, ids=[case[0] for case in CARELESS])
def test_careless_protocol_settings_are_refused(name, case, careless_outcomes):
    if name != CARELESS_NODE:
        pytest.skip("once, on proto12 (3.10)")
    case_id, _extra, message = case
    initial, outcomes, final = careless_outcomes
    result, before, after = outcomes[case_id]
    text = " ".join(result.output.split())
    assert result.returncode != 0
    assert message in text, text[-2000:]
    assert probe.recap_changed(result.stdout) == 0
    assert after == before
    assert final == initial


def test_automatic_open_file_limit_is_what_the_host_can_grant(host, hostvars):
    assert "rabbitmq_server_nofile_limit" not in hostvars  # the role's default: automatic
    # PID 1 of an unprivileged container cannot raise its hard limit.
    hard = next(line for line in host.file("/proc/1/limits").content_string.splitlines()
                if line.startswith("Max open files")).split()[4]
    expected = 65536 if hard == "unlimited" else min(65536, int(hard))
    assert host.check_output("systemctl show -p LimitNOFILE --value rabbitmq-server") == str(expected)
    pid = host.check_output("systemctl show -p MainPID --value rabbitmq-server")
    beam = host.check_output("pgrep -P %s -f beam.smp || pgrep -f beam.smp | head -n1" % pid).split()[0]
    limits = host.file("/proc/%s/limits" % beam).content_string
    line = next(l for l in limits.splitlines() if l.startswith("Max open files"))
    assert int(line.split()[3]) == expected
