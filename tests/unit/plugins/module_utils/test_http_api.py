# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for module_utils/http_api.py.

Most tests replace the transport (``http_api.open_url``) and check what the
client asks of it. The ``real transport`` tests send requests through
Ansible's own ``open_url`` to servers on loopback in this process (plain
HTTP, HTTPS, HTTPS that requires a client certificate), with a throw-away
PKI made here: no broker, no other network.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import http.client
import http.server
import io
import json
import socket
import ssl
import threading
from urllib.error import HTTPError, URLError

import pytest

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError

from ansible_collections.mqops.rabbitmq.plugins.module_utils import http_api
from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import (
    API_ARGUMENT_SPEC,
    API_REQUIRED_TOGETHER,
    ApiError,
    ManagementApi,
    api_path,
    tls_file_problems,
)

PASSWORD = "p\u00e4ss:word"


class Response(object):
    def __init__(self, body=b""):
        self.body = body
        self.closed = False

    def read(self):
        return self.body

    def close(self):
        self.closed = True


def transport(monkeypatch, answer):
    """Replace open_url; record the arguments of every call."""
    seen = []

    def fake_open_url(url, data=None, headers=None, method=None, **options):
        seen.append(dict(url=url, data=data, headers=headers, method=method, **options))
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(http_api, "open_url", fake_open_url)
    return seen


@pytest.mark.parametrize(
    "segments, query, expected",
    [
        (("definitions",), {}, "/api/definitions"),
        (("vhosts", "/"), {}, "/api/vhosts/%2F"),
        (("permissions", "a b", "user@x"), {}, "/api/permissions/a%20b/user%40x"),
        (("queues", "v", "q#1?x"), {"if-empty": "true"}, "/api/queues/v/q%231%3Fx?if-empty=true"),
        (("bindings", "/", "e", "ex", "q", "q", "a.%23~x"), {}, "/api/bindings/%2F/e/ex/q/q/a.%2523~x"),
        (("x",), {"b": "2", "a": "1", "c": None}, "/api/x?a=1&b=2"),
    ],
)
def test_api_path_encodes_every_segment(segments, query, expected):
    assert api_path(*segments, **query) == expected


def test_get_asks_open_url_for_basic_auth_and_decodes_json(monkeypatch):
    seen = transport(monkeypatch, Response(b'{"rabbitmq_version": "4.0.5"}'))
    api = ManagementApi("http://127.0.0.1:15672/", "admin", PASSWORD, timeout=7)
    assert api.get("/api/overview") == {"rabbitmq_version": "4.0.5"}
    assert seen == [dict(url="http://127.0.0.1:15672/api/overview", data=None, headers={}, method="GET", timeout=7,
                         url_username="admin", url_password=PASSWORD, force_basic_auth=True,
                         http_agent=http_api.HTTP_AGENT, use_proxy=False, validate_certs=True, ca_path=None,
                         client_cert=None, client_key=None)]
    assert api.calls == ["GET /api/overview"]


def test_tls_options_are_passed_on(monkeypatch):
    seen = transport(monkeypatch, Response(b"{}"))
    ManagementApi("https://node:15671", "a", "p", validate_certs=False, ca_path="/ca.pem", client_cert="/c.pem",
                  client_key="/c.key").get("/api/x")
    assert (seen[0]["validate_certs"], seen[0]["ca_path"], seen[0]["client_cert"], seen[0]["client_key"]) == (
        False, "/ca.pem", "/c.pem", "/c.key")


@pytest.mark.parametrize("url,expected", [
    ("http://127.0.0.1:15672", True),
    ("http://127.1.2.3:15672/", True),
    ("https://localhost:15671", True),
    ("https://LOCALHOST.:15671", True),
    ("https://node.localhost:15671", True),
    ("http://[::1]:15672", True),
    ("https://node1.example.com:15671", False),
    ("http://10.0.0.5:15672", False),
    ("http://[2001:db8::1]:15672", False),
    ("http://localhost.example.com:15672", False),
    ("not a url", False),
    ("http://[::1:15672", False),
])
def test_loopback_urls(url, expected):
    assert http_api.is_loopback(url) is expected


@pytest.mark.parametrize("url,use_proxy,expected", [
    ("https://node1.example.com:15671", True, True),
    ("https://node1.example.com:15671", False, False),
    ("http://127.0.0.1:15672", True, False),
    ("https://localhost:15671", True, False),
])
def test_the_environments_proxy_only_for_remote_listeners(monkeypatch, url, use_proxy, expected):
    seen = transport(monkeypatch, Response(b"{}"))
    ManagementApi(url, "a", "p", use_proxy=use_proxy).get("/api/x")
    assert seen[0]["use_proxy"] is expected


def test_empty_tls_paths_mean_none(monkeypatch):
    # The roles pass "" for "not set" (default(omit) is not used for every option).
    seen = transport(monkeypatch, Response(b"{}"))
    ManagementApi("https://node:15671", "a", "p", ca_path="", client_cert="", client_key="").get("/api/x")
    assert (seen[0]["ca_path"], seen[0]["client_cert"], seen[0]["client_key"]) == (None, None, None)


def test_post_sends_json_body(monkeypatch):
    seen = transport(monkeypatch, Response(b""))
    api = ManagementApi("http://h:15672", "admin", "pw")
    assert api.post("/api/definitions", {"users": []}) is None
    assert seen[0]["method"] == "POST"
    assert json.loads(seen[0]["data"].decode("utf-8")) == {"users": []}
    assert seen[0]["headers"] == {"Content-Type": "application/json"}


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_other_methods(monkeypatch, method):
    seen = transport(monkeypatch, Response(b""))
    api = ManagementApi("http://h:15672", "admin", "pw")
    if method == "PUT":
        api.put("/api/x", {"a": 1})
    else:
        api.delete("/api/x")
    assert seen[0]["method"] == method
    assert api.calls == ["%s /api/x" % method]


def test_calls_never_record_bodies(monkeypatch):
    transport(monkeypatch, Response(b""))
    api = ManagementApi("http://h:15672", "admin", "pw")
    api.post("/api/definitions", {"users": [{"password_hash": "SECRET"}]})
    assert "SECRET" not in json.dumps(api.calls)


def test_http_error_carries_the_rabbitmq_reason(monkeypatch):
    body = b'{"error":"bad_request","reason":"queue \'q\' in vhost \'v\' not empty"}'
    error = HTTPError("http://h/api/queues/v/q", 400, "Bad Request", {}, io.BytesIO(body))
    transport(monkeypatch, error)
    api = ManagementApi("http://h:15672", "admin", "pw")
    with pytest.raises(ApiError) as excinfo:
        api.delete("/api/queues/v/q?if-empty=true")
    assert excinfo.value.status == 400
    assert excinfo.value.method == "DELETE"
    assert str(excinfo.value) == "DELETE /api/queues/v/q?if-empty=true: HTTP 400: queue 'q' in vhost 'v' not empty"


def test_http_error_with_a_structured_reason(monkeypatch):
    body = b'{"error":"bad_request","reason":["no_such_user","x"]}'
    transport(monkeypatch, HTTPError("u", 400, "Bad Request", {}, io.BytesIO(body)))
    with pytest.raises(ApiError, match=r'HTTP 400: \["no_such_user", "x"\]'):
        ManagementApi("http://h", "a", "p").post("/api/users/bulk-delete", {"users": ["x"]})


def test_http_error_with_a_plain_body(monkeypatch):
    transport(monkeypatch, HTTPError("u", 401, "Unauthorized", {}, io.BytesIO(b"Not authorised\n")))
    with pytest.raises(ApiError, match="HTTP 401: Not authorised$"):
        ManagementApi("http://h", "a", "p").get("/api/definitions")


@pytest.mark.parametrize(
    "error, reason",
    [
        (URLError(ConnectionRefusedError(111, "Connection refused")), "Connection refused"),
        (socket.timeout("timed out"), "timed out"),
        (OSError("down"), "down"),
        (UrlsConnectionError("proxy said no"), "proxy said no"),
        (http.client.RemoteDisconnected("Remote end closed connection without response"), "Remote end closed"),
        (http.client.BadStatusLine("garbage"), "garbage"),
    ],
)
def test_unreachable_api(monkeypatch, error, reason):
    transport(monkeypatch, error)
    with pytest.raises(ApiError) as excinfo:
        ManagementApi("http://127.0.0.1:15672", "a", "p").get("/api/definitions")
    assert excinfo.value.status is None
    assert str(excinfo.value).startswith("GET /api/definitions: cannot reach the management API: ")
    assert reason in str(excinfo.value)
    assert excinfo.value.hint is None  # maybe not up yet: worth waiting for


@pytest.mark.parametrize(
    "reason, hint",
    [
        ("[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required", "set client_cert and client_key"),
        ("[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca", "signed by a CA the listener trusts"),
        ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", "set ca_path"),
    ],
)
def test_tls_failures_say_which_option_helps(monkeypatch, reason, hint):
    transport(monkeypatch, URLError(ssl.SSLError(1, reason)))
    with pytest.raises(ApiError, match="cannot reach the management API") as excinfo:
        ManagementApi("https://node:15671", "a", "p").get("/api/overview")
    assert hint in str(excinfo.value) and hint in excinfo.value.hint


def test_answer_that_is_not_json(monkeypatch):
    transport(monkeypatch, Response(b"<html>"))
    with pytest.raises(ApiError, match="not JSON"):
        ManagementApi("http://h", "a", "p").get("/api/definitions")


def test_response_is_closed(monkeypatch):
    response = Response(b"{}")
    transport(monkeypatch, response)
    ManagementApi("http://h", "a", "p").get("/api/x")
    assert response.closed


def test_shared_argument_spec():
    assert API_ARGUMENT_SPEC["api_password"] == dict(type="str", required=True, no_log=True)
    assert API_ARGUMENT_SPEC["api_url"]["default"] == "http://127.0.0.1:15672"
    assert API_ARGUMENT_SPEC["api_timeout"]["default"] == 300
    assert API_ARGUMENT_SPEC["validate_certs"]["default"] is True
    assert API_ARGUMENT_SPEC["client_cert"] == dict(type="path")
    # A path: shown in messages, so explicitly not a secret.
    assert API_ARGUMENT_SPEC["client_key"] == dict(type="path", no_log=False)
    assert API_REQUIRED_TOGETHER == [["client_cert", "client_key"]]


# --- checking the files before any request ------------------------------------------------


def test_usable_files_have_no_problems(pki):
    assert tls_file_problems(pki["ca.pem"], pki["client.pem"], pki["client.key"]) == []
    assert tls_file_problems(None, pki["client-and-key.pem"], pki["client-and-key.pem"]) == []
    assert tls_file_problems() == []


@pytest.mark.parametrize(
    "files, expected",
    [
        (dict(client_cert="/nonexistent/client.pem", client_key="client.key"),
         ["client_cert /nonexistent/client.pem: no such file"]),
        (dict(client_cert="client.pem", client_key="/nonexistent/client.key"),
         ["client_key /nonexistent/client.key: no such file"]),
        (dict(ca_path="/nonexistent/ca.pem"), ["ca_path /nonexistent/ca.pem: no such file"]),
        (dict(client_cert="client.key", client_key="client.key"),
         ["client_cert {client.key}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)"]),
        (dict(client_cert="client.pem", client_key="client.pem"),
         ["client_key {client.pem}: no PEM private key in it (-----BEGIN ... PRIVATE KEY-----)"]),
        (dict(ca_path="not-pem.txt"), ["ca_path {not-pem.txt}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)"]),
        (dict(client_cert="client.pem", client_key="stranger.key"),
         ["client_key {stranger.key}: not the private key of the certificate in {client.pem} (their public keys"
         " differ)"]),
        (dict(client_cert="client.pem", client_key="client-encrypted.key"),
         ["client_key {client-encrypted.key}: the key is encrypted; a passphrase-protected key cannot be used"
          " (store it unencrypted, readable only by its owner)"]),
    ],
    ids=["cert-missing", "key-missing", "ca-missing", "cert-is-a-key", "key-is-a-cert", "ca-not-pem", "key-mismatch",
         "key-encrypted"],
)
def test_file_problems_name_the_option_and_the_path(pki, files, expected):
    paths = dict((option, pki.get(name, name)) for option, name in files.items())
    for name, path in pki.items():
        expected = [text.replace("{%s}" % name, path) for text in expected]
    assert tls_file_problems(**paths) == expected


def test_a_directory_is_not_a_file(pki, tmp_path):
    assert tls_file_problems(client_cert=str(tmp_path), client_key=pki["client.key"]) == [
        "client_cert %s: a directory, not a file" % tmp_path]


def test_messages_never_show_file_contents(pki):
    with open(pki["stranger.key"]) as handle:
        key_lines = [line for line in handle.read().splitlines() if line and not line.startswith("-----")]
    problems = " ".join(tls_file_problems(None, pki["client.pem"], pki["stranger.key"])
                        + tls_file_problems(None, pki["stranger.key"], pki["stranger.key"]))
    assert "not the private key" in problems and "no PEM certificate" in problems
    assert not any(line in problems for line in key_lines)


# --- real transport: Ansible's open_url against servers on loopback -----------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers every request with what it saw, as JSON."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        peer = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
        subject = dict(item for part in peer["subject"] for item in part) if peer else {}
        document = dict(method=self.command, path=self.path, headers=dict(self.headers.items()),
                        body=body.decode("utf-8"), client=subject.get("commonName"))
        data = json.dumps(document).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


class _TLSServer(http.server.ThreadingHTTPServer):
    """HTTPS with the handshake in the request's thread (a refused client does not stall the listener)."""

    context = None

    def get_request(self):
        sock, address = self.socket.accept()
        sock.settimeout(10)
        if self.context is None:
            return sock, address
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request, client_address):
        if isinstance(request, ssl.SSLSocket):
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return
        http.server.ThreadingHTTPServer.finish_request(self, request, client_address)

    def handle_error(self, request, client_address):
        pass


@pytest.fixture
def serve(pki):
    """Start a server on 127.0.0.1: serve(tls=False|True, require_client_cert=False) -> base URL."""
    servers = []

    def start(tls=False, require_client_cert=False):
        server = _TLSServer(("127.0.0.1", 0), _Handler)
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(pki["server.pem"], pki["server.key"])
            if require_client_cert:
                context.load_verify_locations(pki["ca.pem"])
                context.verify_mode = ssl.CERT_REQUIRED
            server.context = context
        thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.05))
        thread.daemon = True
        thread.start()
        servers.append((server, thread))
        return "%s://localhost:%d" % ("https" if tls else "http", server.server_address[1])

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_real_request_carries_basic_auth_json_and_no_accept_header(serve):
    url = serve()
    api = ManagementApi(url, "admin", PASSWORD, timeout=10)
    seen = api.put("/api/vhosts/%2F", {"description": "x"})
    assert seen["method"] == "PUT" and seen["path"] == "/api/vhosts/%2F"
    assert json.loads(seen["body"]) == {"description": "x"}
    headers = dict((name.lower(), value) for name, value in seen["headers"].items())
    assert base64.b64decode(headers["authorization"].split(" ", 1)[1]).decode("utf-8") == "admin:" + PASSWORD
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == http_api.HTTP_AGENT
    # DELETE /api/user-limits/... answers 406 to "Accept: application/json".
    assert "accept" not in headers


def test_real_https_verifies_the_server_with_the_ca(serve, pki):
    url = serve(tls=True)
    assert ManagementApi(url, "a", "p", ca_path=pki["ca.pem"], timeout=10).get("/api/overview")["client"] is None
    # Not signed by a CA in the bundle given, nor in the system's.
    for ca_path in (pki["other-ca.pem"], None):
        with pytest.raises(ApiError) as excinfo:
            ManagementApi(url, "a", "p", ca_path=ca_path, timeout=10).get("/api/overview")
        assert excinfo.value.status is None
        assert "CERTIFICATE_VERIFY_FAILED" in str(excinfo.value) and "set ca_path" in str(excinfo.value)
    assert ManagementApi(url, "a", "p", validate_certs=False, timeout=10).get("/api/overview")["method"] == "GET"


def test_real_mutual_tls_needs_the_client_certificate(serve, pki):
    url = serve(tls=True, require_client_cert=True)
    with pytest.raises(ApiError) as excinfo:
        ManagementApi(url, "admin", PASSWORD, ca_path=pki["ca.pem"], timeout=10).get("/api/overview")
    assert excinfo.value.status is None and "cannot reach the management API" in str(excinfo.value)
    assert PASSWORD not in str(excinfo.value)
    with pytest.raises(ApiError) as excinfo:
        ManagementApi(url, "admin", PASSWORD, ca_path=pki["ca.pem"], client_cert=pki["stranger.pem"],
                      client_key=pki["stranger.key"], timeout=10).get("/api/overview")
    assert excinfo.value.status is None
    for cert, key in ((pki["client.pem"], pki["client.key"]), (pki["client-and-key.pem"], pki["client-and-key.pem"])):
        api = ManagementApi(url, "admin", PASSWORD, ca_path=pki["ca.pem"], client_cert=cert, client_key=key,
                            timeout=10)
        seen = api.post("/api/definitions", {"vhosts": []})
        assert seen["client"] == "mqops-api-client"
        assert api.calls == ["POST /api/definitions"]


def test_real_proxy_from_the_environment_for_remote_listeners_only(serve, monkeypatch):
    # The loopback server stands in for a proxy: a proxied request carries the absolute URL.
    proxy = serve()
    monkeypatch.setenv("http_proxy", proxy)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    seen = ManagementApi("http://broker.invalid:15672", "admin", PASSWORD, timeout=10).get("/api/overview")
    assert seen["path"] == "http://broker.invalid:15672/api/overview"
    # Without the proxy, the name does not resolve.
    with pytest.raises(ApiError) as excinfo:
        ManagementApi("http://broker.invalid:15672", "admin", PASSWORD, timeout=10, use_proxy=False).get("/api/x")
    assert excinfo.value.status is None


def test_real_loopback_listener_never_through_the_environments_proxy(serve, monkeypatch):
    url = serve()
    # A proxy that does not exist: a request sent to it would fail.
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    seen = ManagementApi(url, "admin", PASSWORD, timeout=10).get("/api/overview")
    assert seen["path"] == "/api/overview"
