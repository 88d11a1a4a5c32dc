"""Helpers shared by the molecule verifiers: read the running broker.

Everything here asks the node itself (rabbitmq-diagnostics, the management
API, AMQP), never only the files the roles wrote.
"""

import base64
import functools
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pika


# Units RabbitMQ accepts for absolute memory and disk amounts.
_UNITS = {
    "": 1,
    "kB": 10**3, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
    "k": 2**10, "K": 2**10, "KiB": 2**10, "kiB": 2**10,
    "M": 2**20, "MiB": 2**20, "G": 2**30, "GiB": 2**30, "T": 2**40, "TiB": 2**40,
}


def parse_amount(text):
    """Bytes meant by a RabbitMQ amount such as "1GB", "512MiB" or "1000"."""
    match = re.match(r"^([0-9]+)([A-Za-z]*)$", str(text))
    assert match and match.group(2) in _UNITS, "not a RabbitMQ amount: %r" % (text,)
    return int(match.group(1)) * _UNITS[match.group(2)]


def node_status(host):
    """`rabbitmq-diagnostics status` as a dict."""
    out = host.check_output("rabbitmq-diagnostics -q status --formatter json")
    return json.loads(out)


def node_eval(host, expression):
    return host.check_output("rabbitmqctl -q eval %s" % _shell_quote(expression)).strip()


def _shell_quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


def container_address(host):
    """The container's address on its Docker network (reachable from the host)."""
    return host.check_output("hostname -I").split()[0]


def http_get(url, user, password, timeout=10):
    """GET a management API URL; returns (status, parsed JSON or None)."""
    request = urllib.request.Request(url)
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    request.add_header("Authorization", "Basic " + token)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read().decode() or "null")
    except urllib.error.HTTPError as exc:
        return exc.code, None


def http_request(method, url, user, password, body=None, timeout=30):
    """PUT/DELETE/POST a management API URL; returns the status code."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    request.add_header("Authorization", "Basic " + token)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def port_open(address, port, timeout=3):
    """A TCP connection to address:port succeeds (a listener answers)."""
    try:
        socket.create_connection((address, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def amqp_connection(address, user, password, port=5672, attempts=30, vhost="/"):
    """A blocking AMQP connection, retried while the node (re)starts."""
    params = pika.ConnectionParameters(
        host=address,
        port=port,
        virtual_host=vhost,
        credentials=pika.PlainCredentials(user, password),
        connection_attempts=1,
        socket_timeout=5,
        blocked_connection_timeout=30,
    )
    last = None
    for _ in range(attempts):
        try:
            return pika.BlockingConnection(params)
        except pika.exceptions.AMQPConnectionError as exc:
            last = exc
            time.sleep(1)
    raise last


def wait_for(predicate, timeout=120, interval=1.0):
    """Poll ``predicate`` until it returns a truthy value or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %ss" % timeout)
        time.sleep(interval)


# --- Cluster-level helpers ---------------------------------------------------


def docker_address(container):
    """Address of a container on its (first) Docker network, read from the engine."""
    out = subprocess.check_output(
        ["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", container],
        text=True,
    )
    return out.split()[0]


@functools.lru_cache(maxsize=None)
def _inventory_host(inventory, host):
    return subprocess.run(
        ["ansible-inventory", "-i", inventory, "--host", host],
        capture_output=True, text=True, check=True,
    ).stdout


def inventory_vars(host):
    """A host's variables from the molecule inventory (ansible-inventory --host).

    Read once per inventory and host (each read starts ansible-inventory,
    about a second of CPU); callers get their own copy.
    """
    return json.loads(_inventory_host(os.environ["MOLECULE_INVENTORY_FILE"], host))


def run_playbook(playbook, *extra, check=True):
    """Run a playbook against the molecule inventory, as molecule would.

    Returns the CompletedProcess (stdout holds the recap).
    """
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", NO_COLOR="1")
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], playbook] + list(extra)
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    # Task errors go to stderr: callers search both.
    result.output = result.stdout + "\n" + result.stderr
    if check:
        assert result.returncode == 0, "%s failed:\n%s\n%s" % (" ".join(cmd), result.stdout[-6000:], result.stderr[-3000:])
    return result


def recap_changed(output):
    """Sum of changed= over the play recap lines."""
    total = 0
    for line in output.splitlines():
        match = re.search(r"\bchanged=(\d+)", line)
        if match and ":" in line and "ok=" in line:
            total += int(match.group(1))
    return total


def task_output(output, name):
    """What a -v run printed under every task whose name ends with ``name`` (up to the next task)."""
    blocks = re.split(r"\n(?=TASK \[)", output)
    return "\n".join(block for block in blocks if re.match(r"TASK \[[^\]]*%s\]" % re.escape(name), block))


def assert_no_op_run(result, members, state_over_api=True):
    """A converge re-run with -v changed nothing and started no CLI tool for the administrator. With
    ``state_over_api`` (RabbitMQ 3.13 and later) every member's state was read over the management API, and
    that read found the administrator and the configuration files as declared, so neither task ran (no
    module run); else (older: the API cannot tell a drained node) the state came from one CLI call each,
    and the administrator task read the users over the API."""
    assert recap_changed(result.stdout) == 0, result.stdout[-3000:]
    admin = task_output(result.stdout, "Create the administrator and remove guest")
    config = task_output(result.stdout, "Check, then stage or write the node's configuration")
    state = task_output(result.stdout, "Read the node's state")
    expected = "read_from: api" if state_over_api else "read_from: cli"
    assert state.count(expected) == len(members) and state.count("read_from:") == len(members), state[-3000:]
    assert config.count("skipping: [") == len(members), config[-3000:]
    if state_over_api:
        assert state.count("users_unchanged: true") == len(members), state[-3000:]
        assert admin.count("skipping: [") == len(members), admin[-3000:]
    else:
        assert admin.count("read_from: api") == len(members), admin[-3000:]


class ConfirmedPublisher(threading.Thread):
    """Publishes persistent numbered messages with publisher confirms.

    Moves to the next node when its connection fails and retries the message
    that was not confirmed (which may duplicate it, never lose it). Runs until
    stopped and at least ``minimum`` messages are confirmed, or ``deadline``.
    ``rate`` (messages per second) paces it: a steady stream proves that
    nothing is lost across a restart as well as a flood does, and leaves the
    CPU to the nodes and the play under test (on 2 cores, a flood of
    confirmed publishes slowed a rolling upgrade by minutes). ``None`` publishes
    as fast as the confirms come back.
    """

    def __init__(self, addresses, user, password, queue, minimum, deadline=600, vhost="/", first=0, rate=None):
        super().__init__(daemon=True)
        self.addresses, self.user, self.password = list(addresses), user, password
        self.queue, self.minimum, self.deadline = queue, minimum, time.monotonic() + deadline
        self.vhost, self.first, self.rate = vhost, first, rate
        self.confirmed = set()
        # basic.publish calls, retries of unconfirmed messages included.
        self.published = 0
        self.reconnects = 0
        # Longest time without a confirm (a node going away, failover).
        self.longest_stall = 0.0
        self.stop_event = threading.Event()
        self.error = None

    def _connect(self, index):
        address = self.addresses[index % len(self.addresses)]
        connection = amqp_connection(address, self.user, self.password, attempts=1, vhost=self.vhost)
        channel = connection.channel()
        channel.confirm_delivery()
        return connection, channel

    def run(self):
        index, number, connection, channel = 0, self.first, None, None
        last_confirm = started = time.monotonic()
        while time.monotonic() < self.deadline:
            if self.stop_event.is_set() and len(self.confirmed) >= self.minimum:
                break
            if self.rate:
                # The next message is due at started + sent/rate; a stop ends the wait.
                due = started + (number - self.first) / float(self.rate) - time.monotonic()
                if due > 0 and self.stop_event.wait(due) and len(self.confirmed) >= self.minimum:
                    break
            try:
                if connection is None or connection.is_closed:
                    connection, channel = self._connect(index)
                self.published += 1
                channel.basic_publish(
                    exchange="",
                    routing_key=self.queue,
                    body=str(number).encode(),
                    properties=pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent),
                    mandatory=True,
                )
                self.confirmed.add(number)
                number += 1
                now = time.monotonic()
                self.longest_stall = max(self.longest_stall, now - last_confirm)
                last_confirm = now
            except Exception:  # noqa: BLE001 - any failure: next node, same message
                self.reconnects += 1
                index += 1
                connection = None
                time.sleep(0.5)
        else:
            self.error = "deadline reached with %d confirmed" % len(self.confirmed)
        try:
            if connection is not None and connection.is_open:
                connection.close()
        except Exception:  # noqa: BLE001
            pass


class CountingConsumer(threading.Thread):
    """Consumes and acks numbered messages, counting duplicates; reconnects."""

    def __init__(self, addresses, user, password, queue, deadline=900, vhost="/"):
        super().__init__(daemon=True)
        self.addresses, self.user, self.password = list(addresses), user, password
        self.queue, self.deadline, self.vhost = queue, time.monotonic() + deadline, vhost
        self.seen = set()
        self.duplicates = 0
        self.stop_event = threading.Event()

    def _on_message(self, channel, method, _properties, body):
        number = int(body)
        if number in self.seen:
            self.duplicates += 1
        self.seen.add(number)
        channel.basic_ack(method.delivery_tag)

    def run(self):
        index = 0
        while not self.stop_event.is_set() and time.monotonic() < self.deadline:
            try:
                connection = amqp_connection(self.addresses[index % len(self.addresses)], self.user, self.password,
                                             attempts=1, vhost=self.vhost)
                channel = connection.channel()
                channel.basic_qos(prefetch_count=200)
                channel.basic_consume(self.queue, self._on_message)
                while not self.stop_event.is_set() and time.monotonic() < self.deadline:
                    connection.process_data_events(time_limit=0.5)
                connection.close()
            except Exception:  # noqa: BLE001 - reconnect to the next node
                index += 1
                time.sleep(0.5)


def declare_quorum_queue(address, user, password, queue):
    connection = amqp_connection(address, user, password)
    try:
        connection.channel().queue_declare(queue=queue, durable=True, arguments={"x-queue-type": "quorum"})
    finally:
        connection.close()
