"""Helpers shared by the molecule verifiers: read the running broker.

Everything here asks the node itself (rabbitmq-diagnostics, the management
API, AMQP), never only the files the roles wrote.
"""

import base64
import json
import re
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


def amqp_connection(address, user, password, port=5672, attempts=30):
    """A blocking AMQP connection, retried while the node (re)starts."""
    params = pika.ConnectionParameters(
        host=address,
        port=port,
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
