"""Mutual TLS on sec14's management listener (RabbitMQ 4.3, HTTPS only).

sec14 sets rabbitmq_server_tls_management_verify=verify_peer and
rabbitmq_server_tls_management_fail_if_no_peer_cert=true, and the roles'
rabbitmq_server_api_client_cert / _key point at a client certificate from the
scenario's CA (prepare.yml placed it). The converge (every role, the
definitions role over HTTPS) and its idempotence prove the roles work with
it; these tests prove the listener refuses a client without one, and that the
server role's API read works only because it presents it. (The bad-input
suite covers unusable files and the definitions role without it.)
"""

import base64
import http.client
import json
import os
import socket
import ssl
import subprocess
import tempfile

import pytest
import rabbitmq_probe as probe

NODE = "sec14"
TLS_DIR = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "tls")
CA_FILE = os.path.join(TLS_DIR, "ca.pem")
CLIENT_CERT = (os.path.join(TLS_DIR, "api-client.pem"), os.path.join(TLS_DIR, "api-client.key"))

READ_USERS = """
- name: Read the users as the server role does (tasks/users.yml)
  hosts: sec14
  gather_facts: true
  tasks:
    - name: Run the role's administrator task
      ansible.builtin.include_role:
        name: mqops.rabbitmq.rabbitmq_server
        tasks_from: users
    - name: Say where the users were read
      ansible.builtin.debug:
        msg: "read_from={{ __rabbitmq_server_users.read_from }}"
"""


def _address():
    return subprocess.run(["docker", "exec", NODE, "hostname", "-I"], capture_output=True, text=True,
                          check=True).stdout.split()[0]


def _get(path, user, password, client_cert=None):
    """GET over HTTPS from the test host, verifying sec14's certificate; (status, JSON)."""
    context = ssl.create_default_context(cafile=CA_FILE)
    if client_cert:
        context.load_cert_chain(*client_cert)
    address = _address()
    sock = socket.create_connection((address, 15671), timeout=15)
    connection = http.client.HTTPSConnection(address, 15671, timeout=15, context=context)
    connection.sock = context.wrap_socket(sock, server_hostname=NODE)
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    try:
        connection.request("GET", path, headers={"Authorization": "Basic " + token})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def admin():
    variables = probe.inventory_vars(NODE)
    return variables.get("rabbitmq_server_admin_user", "admin"), variables["rabbitmq_server_admin_password"]


def test_the_listener_is_configured_for_mutual_tls():
    variables = probe.inventory_vars(NODE)
    assert variables["rabbitmq_server_tls_management_verify"] == "verify_peer"
    assert variables["rabbitmq_server_tls_management_fail_if_no_peer_cert"] is True
    assert not variables["rabbitmq_server_management_tcp_enabled"]


def test_a_client_without_a_certificate_is_refused(admin):
    # TLS 1.3: the handshake completes on the client's side; the node's
    # "certificate required" alert ends the connection before any answer.
    with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException)) as excinfo:
        _get("/api/overview", *admin)
    assert not isinstance(excinfo.value, ssl.SSLCertVerificationError), "the node's certificate did not verify"
    assert admin[1] not in str(excinfo.value)


def test_a_client_with_the_certificate_is_served(admin):
    status, overview = _get("/api/overview", *admin, client_cert=CLIENT_CERT)
    assert status == 200 and overview["rabbitmq_version"].startswith("4.")


def test_a_certificate_from_another_ca_is_refused(admin):
    # A throw-away CA and client certificate, made here with the cryptography
    # package ansible-core depends on.
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(text):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name("stranger")).issuer_name(name("another CA"))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    with tempfile.TemporaryDirectory() as tmp:
        cert_path, key_path = os.path.join(tmp, "stranger.pem"), os.path.join(tmp, "stranger.key")
        with open(cert_path, "wb") as handle:
            handle.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(key_path, "wb") as handle:
            handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException)):
            _get("/api/overview", *admin, client_cert=(cert_path, key_path))


def _read_users(*extra):
    with tempfile.TemporaryDirectory() as tmp:
        playbook = os.path.join(tmp, "read_users.yml")
        with open(playbook, "w") as handle:
            handle.write(READ_USERS)
        return probe.run_playbook(playbook, "-l", NODE, *extra)


def test_the_server_role_reads_over_mutual_tls_only_with_its_certificate():
    # With the certificate the role reads the users over the API (no CLI
    # call); without it the listener refuses and the role falls back to the
    # CLI (slower, same result): nothing changes either way.
    with_cert = _read_users()
    assert "read_from=api" in with_cert.output and probe.recap_changed(with_cert.output) == 0
    with tempfile.TemporaryDirectory() as tmp:
        none = os.path.join(tmp, "none.json")
        with open(none, "w") as handle:
            json.dump({"rabbitmq_server_api_client_cert": "", "rabbitmq_server_api_client_key": ""}, handle)
        without_cert = _read_users("-e", "@" + none)
    assert "read_from=cli" in without_cert.output and probe.recap_changed(without_cert.output) == 0
