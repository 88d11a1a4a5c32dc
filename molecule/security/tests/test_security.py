"""Secure defaults and TLS, as the running brokers and real clients see them.

sec12 (RabbitMQ 3.10) keeps plain AMQP and binds the management UI to
loopback; sec14 (RabbitMQ 4.3) serves AMQP and HTTP over TLS only. Both use
certificates from the throw-away CA that prepare.yml created.
"""

import base64
import http.client
import json
import os
import socket
import ssl
import struct
import uuid

import pika
import pytest
import rabbitmq_probe as probe
import yaml

TLS_DIR = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "tls")
CA_FILE = os.path.join(TLS_DIR, "ca.pem")
# The management API client's certificate (prepare.yml), for sec14's HTTPS
# listener, which requires one.
CLIENT_CERT = (os.path.join(TLS_DIR, "api-client.pem"), os.path.join(TLS_DIR, "api-client.key"))
BUILTIN_TAGS = {"administrator", "monitoring", "policymaker", "management", "impersonator"}


@pytest.fixture(scope="module")
def hostvars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def admin(hostvars):
    return hostvars.get("rabbitmq_server_admin_user", "admin"), hostvars["rabbitmq_server_admin_password"]


@pytest.fixture(scope="module")
def name(hostvars):
    return hostvars["inventory_hostname"]


@pytest.fixture(scope="module")
def address(host):
    return probe.container_address(host)


@pytest.fixture(scope="module")
def tls_ports(hostvars):
    """TLS ports reachable from outside the node (management may be on loopback)."""
    if hostvars.get("rabbitmq_server_management_bind_address") == "127.0.0.1":
        return (5671,)
    return (5671, 15671)


@pytest.fixture(scope="module")
def tls_only(hostvars):
    return not hostvars.get("rabbitmq_server_amqp_tcp_enabled", True)


@pytest.fixture(scope="module")
def management_client_cert(hostvars):
    """The client certificate for the node's HTTPS listener, when it requires one (else None)."""
    return CLIENT_CERT if hostvars.get("rabbitmq_server_tls_management_fail_if_no_peer_cert") else None


def _context(cafile=CA_FILE, client_cert=None):
    context = ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if client_cert:
        context.load_cert_chain(*client_cert)
    return context


def _tls_socket(address, port, server_hostname, cafile=CA_FILE, client_cert=None):
    sock = socket.create_connection((address, port), timeout=10)
    try:
        return _context(cafile, client_cert).wrap_socket(sock, server_hostname=server_hostname)
    except Exception:
        sock.close()
        raise


def _https_get(address, port, server_hostname, path, user, password, client_cert=None):
    connection = http.client.HTTPSConnection(address, port, timeout=15, context=_context())
    connection.sock = _tls_socket(address, port, server_hostname, client_cert=client_cert)
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    connection.request("GET", path, headers={"Authorization": "Basic " + token})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, json.loads(body or b"null")


def _amqp_mechanisms(sock):
    """The SASL mechanisms a broker offers in its connection.start frame."""
    sock.sendall(b"AMQP\x00\x00\x09\x01")
    data = b""
    while len(data) < 7:
        data += sock.recv(4096)
    size = struct.unpack(">I", data[3:7])[0]
    while len(data) < 7 + size + 1:
        data += sock.recv(4096)
    payload = data[7:7 + size]
    # class 10, method 10, version 0-9, server-properties table, mechanisms longstr
    offset = 4 + 2
    table_size = struct.unpack(">I", payload[offset:offset + 4])[0]
    offset += 4 + table_size
    mech_size = struct.unpack(">I", payload[offset:offset + 4])[0]
    return set(payload[offset + 4:offset + 4 + mech_size].decode().split())


# --- secure defaults ----------------------------------------------------------


def test_guest_absent_and_only_the_admin_is_administrator(host, admin):
    users = json.loads(host.check_output("rabbitmqctl -q list_users --formatter json"))
    names = {user["user"] for user in users}
    assert "guest" not in names
    administrators = {user["user"] for user in users if "administrator" in user["tags"]}
    assert administrators == {admin[0]}
    for user in users:
        assert set(user["tags"]) <= BUILTIN_TAGS, user


def test_amqp_offers_no_anonymous_login(address, name, tls_only):
    if tls_only:
        sock = _tls_socket(address, 5671, name)
    else:
        sock = socket.create_connection((address, 5672), timeout=10)
    try:
        mechanisms = _amqp_mechanisms(sock)
    finally:
        sock.close()
    assert mechanisms == {"PLAIN", "AMQPLAIN"}


@pytest.fixture(scope="module")
def status_version(host):
    return int(probe.node_status(host)["rabbitmq_version"].split(".")[0])


def test_anonymous_login_user_is_none_on_4x(host, status_version):
    if status_version < 4:
        pytest.skip("RabbitMQ 3.x has no anonymous login")
    assert probe.node_eval(host, "application:get_env(rabbit, anonymous_login_user).") == "{ok,none}"


def test_short_passwords_are_refused_by_the_broker(host, hostvars):
    minimum = hostvars.get("rabbitmq_server_min_password_length", 12)
    assert minimum >= 12
    result = host.run("rabbitmqctl add_user mqops-short-pw %s", "x" * (minimum - 1))
    assert result.rc != 0
    assert "minimum required password length" in result.stdout + result.stderr
    assert "mqops-short-pw" not in host.check_output("rabbitmqctl -q list_users")


def test_erlang_cookie_file(host):
    cookie = host.file("/var/lib/rabbitmq/.erlang.cookie")
    assert cookie.user == "rabbitmq" and cookie.group == "rabbitmq"
    assert cookie.mode == 0o400


@pytest.mark.parametrize(
    "path",
    [
        "/etc/rabbitmq/rabbitmq.conf",
        "/etc/rabbitmq/rabbitmq-env.conf",
        "/etc/rabbitmq/enabled_plugins",
        "/etc/rabbitmq/boot-definitions.json",
        "/etc/rabbitmq/tls",
        "/etc/rabbitmq/tls/key.pem",
    ],
)
def test_config_files_are_not_world_readable(host, path):
    node = host.file(path)
    assert node.exists
    assert node.mode & 0o007 == 0, oct(node.mode)
    assert node.group == "rabbitmq"


def test_private_key_owned_by_root_readable_by_rabbitmq_only(host):
    key = host.file("/etc/rabbitmq/tls/key.pem")
    assert key.user == "root" and key.mode == 0o640


def test_no_file_with_password_hashes_is_readable_by_others(host):
    # Definitions exports/imports carry salted hashes: none may be left
    # readable by other users anywhere on the node.
    found = host.run(
        "grep -rlsI password_hash /tmp /var/tmp /etc /root /var/lib/rabbitmq --exclude-dir=mnesia "
        "| xargs -r stat -c '%a %n'"
    ).stdout.split("\n")
    exposed = [line for line in found if line.strip() and int(line.split()[0][-1]) != 0]
    assert not exposed, exposed


def test_no_boot_time_guest_in_the_logs(host, name):
    log = host.file("/var/log/rabbitmq/rabbit@%s.log" % name).content_string
    assert "Will not seed default virtual host and user" in log
    assert "Creating user 'guest'" not in log


# --- listeners and TLS --------------------------------------------------------


def test_tls_handshake_succeeds_with_the_ca(address, name, tls_ports, management_client_cert):
    for port in tls_ports:
        client_cert = management_client_cert if port == 15671 else None
        with _tls_socket(address, port, name, client_cert=client_cert) as sock:
            assert sock.version() in ("TLSv1.3", "TLSv1.2")
            assert sock.getpeercert()["subject"][0][0][1] == name


def test_tls_handshake_fails_without_the_ca(address, name, tls_ports):
    # The system trust store does not know the test CA.
    for port in tls_ports:
        with pytest.raises(ssl.SSLCertVerificationError):
            _tls_socket(address, port, name, cafile=None)


def test_tls_handshake_fails_for_another_name(address):
    with pytest.raises(ssl.SSLCertVerificationError):
        _tls_socket(address, 5671, "not-this-node.example")


def test_old_tls_versions_are_refused(address, name):
    context = ssl.create_default_context(cafile=CA_FILE)
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.minimum_version = ssl.TLSVersion.TLSv1
    try:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    sock = socket.create_connection((address, 5671), timeout=10)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        context.wrap_socket(sock, server_hostname=name)
    sock.close()


def test_message_flows_over_amqps_with_pika(address, name, admin):
    params = pika.ConnectionParameters(
        host=address,
        port=5671,
        credentials=pika.PlainCredentials(*admin),
        ssl_options=pika.SSLOptions(_context(), server_hostname=name),
        connection_attempts=5,
        retry_delay=2,
    )
    connection = pika.BlockingConnection(params)
    try:
        channel = connection.channel()
        queue = "security-" + uuid.uuid4().hex
        channel.queue_declare(queue, exclusive=True)
        body = uuid.uuid4().bytes
        channel.basic_publish("", queue, body)
        for _ in range(50):
            method, _props, received = channel.basic_get(queue, auto_ack=True)
            if method:
                break
            connection.sleep(0.1)
        assert received == body
    finally:
        connection.close()


def test_https_management_api(address, name, admin, tls_ports, management_client_cert):
    if 15671 not in tls_ports:
        pytest.skip("HTTPS bound to loopback: checked from inside the node")
    status, overview = _https_get(address, 15671, name, "/api/overview", *admin, client_cert=management_client_cert)
    assert status == 200
    listeners = {(entry["protocol"], entry["port"]) for entry in overview["listeners"]}
    assert ("amqp/ssl", 5671) in listeners
    assert ("https", 15671) in listeners or ("http/ssl", 15671) in listeners or any(
        port == 15671 for _protocol, port in listeners
    )


def test_plain_listeners_closed_when_asked(address, tls_only, host):
    listening = {line.split()[3] for line in host.check_output("ss -Hltn").splitlines()}
    ports = {entry.rsplit(":", 1)[1] for entry in listening}
    if tls_only:
        assert not probe.port_open(address, 5672)
        assert not probe.port_open(address, 15672)
        assert "5672" not in ports and "15672" not in ports
    else:
        assert probe.port_open(address, 5672)
        assert "5672" in ports


def test_management_bound_to_loopback_when_asked(address, hostvars, host, admin):
    if hostvars.get("rabbitmq_server_management_bind_address") != "127.0.0.1":
        pytest.skip("management listens on all interfaces on this node")
    listening = {line.split()[3] for line in host.check_output("ss -Hltn").splitlines()}
    assert "127.0.0.1:15672" in listening and "127.0.0.1:15671" in listening
    assert not probe.port_open(address, 15672)
    assert not probe.port_open(address, 15671)
    # From the node itself, HTTPS with the installed CA works.
    script = (
        "import ssl, urllib.request, base64;"
        "c = ssl.create_default_context(cafile='/etc/rabbitmq/tls/ca.pem');"
        "r = urllib.request.Request('https://localhost:15671/api/overview');"
        "r.add_header('Authorization', 'Basic ' + base64.b64encode(b'%s:%s').decode());"
        "print(urllib.request.urlopen(r, context=c).status)"
    ) % admin
    assert host.check_output("python3 -c %s", script).strip() == "200"


def test_shovel_with_credentials_moves_messages(address, name, tls_only):
    # The shovel's URIs carry credentials (amqps on the TLS-only node): a
    # message published to outbox by the app user arrives in inbox.
    with open(os.path.join(os.path.dirname(__file__), "..", "vars", "topology.yml")) as handle:
        password = yaml.safe_load(handle)["security_passwords"]["app"]
    params = pika.ConnectionParameters(
        host=address,
        port=5671 if tls_only else 5672,
        virtual_host="secure",
        credentials=pika.PlainCredentials("app", password),
        ssl_options=pika.SSLOptions(_context(), server_hostname=name) if tls_only else None,
        connection_attempts=5,
        retry_delay=2,
    )
    connection = pika.BlockingConnection(params)
    try:
        channel = connection.channel()
        body = uuid.uuid4().bytes
        channel.confirm_delivery()
        channel.basic_publish("", "outbox", body, mandatory=True)
        received = None
        for _ in range(300):
            method, _props, received = channel.basic_get("inbox", auto_ack=True)
            if method and received == body:
                break
            connection.sleep(0.1)
        assert received == body
    finally:
        connection.close()


def test_certificate_expiry_check_passes_and_fails(host):
    assert host.run("rabbitmq-diagnostics -q check_certificate_expiration --unit days --within 30").rc == 0
    # The test certificates are valid for 365 days.
    assert host.run("rabbitmq-diagnostics -q check_certificate_expiration --unit days --within 400").rc != 0


def test_health_playbook_fails_on_a_certificate_expiring_soon(hostvars):
    group = "secure_v4" if "secure_v4" in hostvars["group_names"] else "secure_v3"
    playbook = os.path.join(os.path.dirname(__file__), "..", "..", "..", "playbooks", "health.yml")
    ok = probe.run_playbook(playbook, "-e", "rabbitmq_group=" + group)
    assert "valid for more than 30 days" in ok.output
    # The queues were read over the API (on sec14: HTTPS with the client certificate).
    assert "queues: not read" not in ok.output and "queues without consumers:" in ok.output
    failed = probe.run_playbook(
        playbook, "-e", "rabbitmq_group=" + group, "-e", "rabbitmq_server_tls_expiry_days=400", check=False
    )
    assert failed.returncode != 0
    assert "rabbitmq_server_tls_expiry_days (400" in failed.output
