# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Definitions exports as RabbitMQ 3.10.8 and 4.0.5 write them (GET /api/definitions).

Shapes taken from the real brokers of the molecule images: 3.10 exports only
the names of virtual hosts (their metadata comes from GET /api/vhosts) and
classic queues without x-queue-type; 4.0 exports the vhost metadata and
x-queue-type "classic" for classic queues.

Also a throw-away PKI in PEM files (``pki``) for the client certificate tests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.mqops.rabbitmq.plugins.module_utils.password import hash_password

SHA256 = "rabbit_password_hashing_sha256"
MD5 = "rabbit_password_hashing_md5"

ADMIN_PASSWORD = "admin-Pa55word"
ADMIN_HASH = hash_password(ADMIN_PASSWORD, SHA256, b"\x01\x02\x03\x04")
APP_PASSWORD = "app-Pa55word"
APP_HASH = hash_password(APP_PASSWORD, SHA256, b"\x05\x06\x07\x08")
LEGACY_PASSWORD = "legacy-pw"
LEGACY_HASH = hash_password(LEGACY_PASSWORD, MD5, b"\x09\x0a\x0b\x0c")
UPSTREAM_URI = "amqp://fed:upstream-Secret@dc1.example/shop"
SHOVEL_URI = "amqp://shovel:shovel-Secret@dc2.example/shop"

VHOST_META = {
    "/": ("Default virtual host", [], "classic"),
    "shop": ("Shop", ["prod"], "classic"),
}


def _vhost(name, modern):
    description, tags, dqt = VHOST_META[name]
    if not modern:
        return {"name": name}
    return {
        "name": name,
        "description": description,
        "metadata": {"description": description, "tags": list(tags), "default_queue_type": dqt},
        "tags": list(tags),
        "default_queue_type": dqt,
    }


def make_export(version="4.0.5"):
    modern = not version.startswith("3.10")

    def classic(arguments):
        arguments = dict(arguments)
        if modern:
            arguments["x-queue-type"] = "classic"
        return arguments

    return {
        "rabbit_version": version,
        "rabbitmq_version": version,
        "product_name": "RabbitMQ",
        "product_version": version,
        "users": [
            {"name": "admin", "password_hash": ADMIN_HASH, "hashing_algorithm": SHA256,
             "tags": ["administrator"], "limits": {}},
            {"name": "app", "password_hash": APP_HASH, "hashing_algorithm": SHA256,
             "tags": ["management"], "limits": {"max-connections": 10}},
            {"name": "legacy", "password_hash": LEGACY_HASH, "hashing_algorithm": MD5,
             "tags": ["monitoring"], "limits": {}},
        ],
        "vhosts": [_vhost("/", modern), _vhost("shop", modern)],
        "permissions": [
            {"user": "admin", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
            {"user": "admin", "vhost": "shop", "configure": ".*", "write": ".*", "read": ".*"},
            {"user": "app", "vhost": "shop", "configure": "^app\\.", "write": ".*", "read": ".*"},
        ],
        "topic_permissions": [
            {"user": "app", "vhost": "shop", "exchange": "amq.topic", "write": "^a", "read": "^b"},
            {"user": "app", "vhost": "shop", "exchange": "events", "write": ".*", "read": ".*"},
        ],
        "parameters": [
            {"vhost": "shop", "component": "vhost-limits", "name": "limits",
             "value": {"max-connections": 100, "max-queues": 200}},
            {"vhost": "shop", "component": "operator_policy", "name": "cap",
             "value": {"pattern": ".*", "definition": {"max-length": 100000}, "priority": 0, "apply-to": "queues"}},
            {"vhost": "shop", "component": "federation-upstream", "name": "dc1",
             "value": {"uri": UPSTREAM_URI, "ack-mode": "on-confirm", "max-hops": 1}},
            {"vhost": "shop", "component": "federation-upstream-set", "name": "all-dcs",
             "value": [{"upstream": "dc1"}]},
            {"vhost": "shop", "component": "shovel", "name": "drain",
             "value": {"src-protocol": "amqp091", "src-uri": "amqp:///shop", "src-queue": "old",
                       "dest-protocol": "amqp091", "dest-uri": SHOVEL_URI, "dest-queue": "orders",
                       "ack-mode": "on-confirm"}},
        ],
        "global_parameters": [
            {"name": "internal_cluster_id", "value": "rabbitmq-cluster-id-abc"},
            {"name": "color", "value": "blue"},
        ],
        "policies": [
            {"vhost": "shop", "name": "ttl", "pattern": "^orders", "apply-to": "queues",
             "definition": {"message-ttl": 60000}, "priority": 1},
        ],
        "queues": [
            {"name": "orders", "vhost": "shop", "durable": True, "auto_delete": False, "arguments": classic({})},
            {"name": "old", "vhost": "shop", "durable": True, "auto_delete": False, "arguments": classic({})},
            {"name": "orders.q", "vhost": "shop", "durable": True, "auto_delete": False,
             "arguments": {"x-queue-type": "quorum"}},
            {"name": "federation: events -> rabbit@dc1", "vhost": "shop", "durable": True,
             "auto_delete": False, "arguments": classic({})},
        ],
        "exchanges": [
            {"name": "events", "vhost": "shop", "type": "topic", "durable": True, "auto_delete": False,
             "internal": False, "arguments": {}},
        ],
        "bindings": [
            {"source": "events", "vhost": "shop", "destination": "orders", "destination_type": "queue",
             "routing_key": "order.#", "arguments": {}},
            {"source": "events", "vhost": "shop", "destination": "orders.q", "destination_type": "queue",
             "routing_key": "x", "arguments": {"x-match": "all"}},
        ],
    }


def make_vhost_details():
    """GET /api/vhosts?columns=name,description,tags,metadata on 3.10."""
    result = []
    for name, (description, tags, _dqt) in sorted(VHOST_META.items()):
        result.append({
            "name": name,
            "description": description,
            "tags": list(tags),
            "metadata": {"description": description, "tags": list(tags)},
            "default_queue_type": "undefined",
        })
    return result


def make_desired():
    """Declarations that match make_export() exactly (a no-op)."""
    return {
        "vhosts": [{"name": "/"}, {"name": "shop", "description": "Shop", "tags": ["prod"]}],
        "users": [
            {"name": "app", "password": APP_PASSWORD, "tags": ["management"]},
            {"name": "legacy", "password": LEGACY_PASSWORD, "tags": ["monitoring"]},
        ],
        "permissions": [{"user": "app", "vhost": "shop", "configure": "^app\\."}],
        "topic_permissions": [
            {"user": "app", "vhost": "shop", "exchange": "amq.topic", "write": "^a", "read": "^b"},
            {"user": "app", "vhost": "shop", "exchange": "events"},
        ],
        "policies": [
            {"name": "ttl", "vhost": "shop", "pattern": "^orders", "apply_to": "queues",
             "definition": {"message-ttl": 60000}, "priority": 1},
        ],
        "operator_policies": [
            {"name": "cap", "vhost": "shop", "pattern": ".*", "definition": {"max-length": 100000}},
        ],
        "vhost_limits": [{"vhost": "shop", "max_connections": 100, "max_queues": 200}],
        "user_limits": [{"user": "app", "max_connections": 10}],
        "global_parameters": [{"name": "color", "value": "blue"}],
        "federation_upstreams": [
            {"name": "dc1", "vhost": "shop", "uri": [UPSTREAM_URI], "ack_mode": "on-confirm", "max_hops": 1},
        ],
        "federation_upstream_sets": [{"name": "all-dcs", "vhost": "shop", "upstreams": ["dc1"]}],
        "shovels": [
            {"name": "drain", "vhost": "shop", "src_uri": ["amqp:///shop"], "src_queue": "old",
             "dest_uri": [SHOVEL_URI], "dest_queue": "orders", "ack_mode": "on-confirm"},
        ],
        "exchanges": [{"name": "events", "vhost": "shop", "type": "topic"}],
        "queues": [
            {"name": "orders", "vhost": "shop"},
            {"name": "old", "vhost": "shop", "type": "classic"},
            {"name": "orders.q", "vhost": "shop", "type": "quorum"},
        ],
        "bindings": [
            {"vhost": "shop", "source": "events", "destination": "orders", "routing_key": "order.#"},
            {"vhost": "shop", "source": "events", "destination": "orders.q", "routing_key": "x",
             "arguments": {"x-match": "all"}},
        ],
    }


VERSIONS = ["3.10.8", "4.0.5"]


@pytest.fixture(params=VERSIONS)
def version(request):
    return request.param


class _Data(object):
    """Everything above, for tests (conftest modules are not imported by name)."""

    SHA256 = SHA256
    MD5 = MD5
    ADMIN_PASSWORD = ADMIN_PASSWORD
    ADMIN_HASH = ADMIN_HASH
    APP_PASSWORD = APP_PASSWORD
    APP_HASH = APP_HASH
    LEGACY_PASSWORD = LEGACY_PASSWORD
    LEGACY_HASH = LEGACY_HASH
    UPSTREAM_URI = UPSTREAM_URI
    SHOVEL_URI = SHOVEL_URI
    VERSIONS = VERSIONS

    make_export = staticmethod(make_export)
    make_vhost_details = staticmethod(make_vhost_details)
    make_desired = staticmethod(make_desired)


@pytest.fixture
def rmq():
    return _Data


# --- a throw-away PKI (module_utils/test_http_api.py, the modules' client certificate tests) ---


def _name(common_name):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, key, issuer, issuer_key, ca=False, server=False):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    elif server:
        import ipaddress

        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """CA, server and client certificates in PEM files: {name: path}."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    directory = tmp_path_factory.mktemp("pki")
    paths = {}

    def write(name, data):
        path = directory / name
        path.write_bytes(data)
        path.chmod(0o600)
        paths[name] = str(path)

    def key_pem(key, password=None):
        encryption = (serialization.BestAvailableEncryption(password) if password
                      else serialization.NoEncryption())
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)

    def cert_pem(cert):
        return cert.public_bytes(serialization.Encoding.PEM)

    keys = dict((name, ec.generate_private_key(ec.SECP256R1()))
                for name in ("ca", "other-ca", "server", "client", "stranger"))
    ca = _certificate("test CA", keys["ca"], "test CA", keys["ca"], ca=True)
    other_ca = _certificate("other CA", keys["other-ca"], "other CA", keys["other-ca"], ca=True)
    write("ca.pem", cert_pem(ca))
    write("server.pem", cert_pem(_certificate("localhost", keys["server"], "test CA", keys["ca"], server=True)))
    write("server.key", key_pem(keys["server"]))
    write("client.pem", cert_pem(_certificate("mqops-api-client", keys["client"], "test CA", keys["ca"])))
    write("client.key", key_pem(keys["client"]))
    write("client-and-key.pem", cert_pem(_certificate("mqops-api-client", keys["client"], "test CA", keys["ca"]))
          + key_pem(keys["client"]))
    write("client-encrypted.key", key_pem(keys["client"], b"Key-Passphrase-1"))
    # Signed by a CA the server does not trust.
    write("stranger.pem", cert_pem(_certificate("stranger", keys["stranger"], "other CA", keys["other-ca"])))
    write("stranger.key", key_pem(keys["stranger"]))
    write("other-ca.pem", cert_pem(other_ca))
    write("not-pem.txt", b"just text\n")
    return paths
