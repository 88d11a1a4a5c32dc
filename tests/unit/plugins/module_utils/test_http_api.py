# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for module_utils/http_api.py (the transport is mocked: no network)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import io
import json
import socket
import ssl
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.mqops.rabbitmq.plugins.module_utils import http_api
from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import (
    API_ARGUMENT_SPEC,
    ApiError,
    ManagementApi,
    api_path,
)


class Response(object):
    def __init__(self, body=b""):
        self.body = body
        self.closed = False

    def read(self):
        return self.body

    def close(self):
        self.closed = True


def transport(monkeypatch, answer):
    """Replace urlopen; record every Request it gets."""
    seen = []

    def fake_urlopen(request, timeout=None, context=None):
        seen.append(dict(request=request, timeout=timeout, context=context))
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(http_api, "urlopen", fake_urlopen)
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


def test_get_sends_basic_auth_and_decodes_json(monkeypatch):
    seen = transport(monkeypatch, Response(b'{"rabbitmq_version": "4.0.5"}'))
    api = ManagementApi("http://127.0.0.1:15672/", "admin", "p\u00e4ss:word", timeout=7)
    assert api.get("/api/overview") == {"rabbitmq_version": "4.0.5"}
    request = seen[0]["request"]
    assert request.full_url == "http://127.0.0.1:15672/api/overview"
    assert request.get_method() == "GET"
    assert request.data is None
    token = request.get_header("Authorization").split(" ", 1)[1]
    assert base64.b64decode(token).decode("utf-8") == "admin:p\u00e4ss:word"
    # No Accept header: DELETE /api/user-limits/... answers 406 to application/json.
    assert request.get_header("Accept") is None
    assert seen[0]["timeout"] == 7
    assert seen[0]["context"] is None
    assert api.calls == ["GET /api/overview"]


def test_post_sends_json_body(monkeypatch):
    seen = transport(monkeypatch, Response(b""))
    api = ManagementApi("http://h:15672", "admin", "pw")
    assert api.post("/api/definitions", {"users": []}) is None
    request = seen[0]["request"]
    assert request.get_method() == "POST"
    assert json.loads(request.data.decode("utf-8")) == {"users": []}
    assert request.get_header("Content-type") == "application/json"


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_other_methods(monkeypatch, method):
    seen = transport(monkeypatch, Response(b""))
    api = ManagementApi("http://h:15672", "admin", "pw")
    if method == "PUT":
        api.put("/api/x", {"a": 1})
    else:
        api.delete("/api/x")
    assert seen[0]["request"].get_method() == method
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
    "error",
    [URLError(ConnectionRefusedError(111, "Connection refused")), socket.timeout("timed out"), OSError("down")],
)
def test_unreachable_api(monkeypatch, error):
    transport(monkeypatch, error)
    with pytest.raises(ApiError) as excinfo:
        ManagementApi("http://127.0.0.1:15672", "a", "p").get("/api/definitions")
    assert excinfo.value.status is None
    assert str(excinfo.value).startswith("GET /api/definitions: cannot reach the management API")


def test_answer_that_is_not_json(monkeypatch):
    transport(monkeypatch, Response(b"<html>"))
    with pytest.raises(ApiError, match="not JSON"):
        ManagementApi("http://h", "a", "p").get("/api/definitions")


def test_response_is_closed(monkeypatch):
    response = Response(b"{}")
    transport(monkeypatch, response)
    ManagementApi("http://h", "a", "p").get("/api/x")
    assert response.closed


def test_https_verifies_by_default(monkeypatch):
    seen = transport(monkeypatch, Response(b"{}"))
    ManagementApi("https://node:15671", "a", "p").get("/api/x")
    context = seen[0]["context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_https_without_verification(monkeypatch):
    seen = transport(monkeypatch, Response(b"{}"))
    ManagementApi("https://node:15671", "a", "p", validate_certs=False).get("/api/x")
    context = seen[0]["context"]
    assert context.verify_mode == ssl.CERT_NONE
    assert not context.check_hostname


def test_shared_argument_spec():
    assert API_ARGUMENT_SPEC["api_password"] == dict(type="str", required=True, no_log=True)
    assert API_ARGUMENT_SPEC["api_url"]["default"] == "http://127.0.0.1:15672"
    assert API_ARGUMENT_SPEC["api_timeout"]["default"] == 300
    assert API_ARGUMENT_SPEC["validate_certs"]["default"] is True
