# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""A small client for the RabbitMQ management HTTP API (standard library only).

Modules run on the broker host and talk to the node's own management
listener (by default http://127.0.0.1:15672), so the target needs nothing
beyond Python's standard library: urllib, json, ssl, base64.

Every request made is recorded in ``ManagementApi.calls`` as
``"METHOD /api/path"`` (never with its body): modules return it, tests assert
on it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import socket
import ssl

from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

# Options every module that talks to the management API shares (see the
# doc fragment mqops.rabbitmq.management_api).
API_ARGUMENT_SPEC = dict(
    api_url=dict(type="str", default="http://127.0.0.1:15672"),
    api_user=dict(type="str", default="admin"),
    api_password=dict(type="str", required=True, no_log=True),
    api_timeout=dict(type="int", default=300),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
)


class ApiError(Exception):
    """A request failed: HTTP status (None when the API was unreachable)."""

    def __init__(self, method, path, status, reason):
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        if status is None:
            text = "%s %s: cannot reach the management API: %s" % (method, path, reason)
        else:
            text = "%s %s: HTTP %s: %s" % (method, path, status, reason)
        super(ApiError, self).__init__(text)


def api_path(*segments, **query):
    """``/api/seg1/seg2`` with every segment percent-encoded (``/`` -> ``%2F``)."""
    path = "/api/" + "/".join(quote(str(s), safe="") for s in segments)
    query = dict((k, v) for k, v in query.items() if v is not None)
    if query:
        path += "?" + urlencode(sorted(query.items()))
    return path


def _reason(body):
    """The ``reason`` of a RabbitMQ error document, else the raw text."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        document = json.loads(text)
    except ValueError:
        return text.strip()[:500]
    if isinstance(document, dict):
        reason = document.get("reason", document.get("error", text))
        if not isinstance(reason, str):
            reason = json.dumps(reason)
        return reason
    return text.strip()[:500]


class ManagementApi(object):
    """Blocking JSON client with HTTP basic authentication."""

    def __init__(self, url, user, password, timeout=300, validate_certs=True, ca_path=None):
        self.base = url.rstrip("/")
        token = base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
        # No Accept header: some endpoints (DELETE /api/user-limits/...)
        # answer 406 to "Accept: application/json".
        self._headers = {"Authorization": "Basic " + token}
        self.timeout = timeout
        self._context = None
        if self.base.startswith("https://"):
            self._context = ssl.create_default_context(cafile=ca_path)
            if not validate_certs:
                self._context.check_hostname = False
                self._context.verify_mode = ssl.CERT_NONE
        self.calls = []

    def _open(self, request):
        """urlopen, separated so tests can replace the transport."""
        if self._context is not None:
            return urlopen(request, timeout=self.timeout, context=self._context)
        return urlopen(request, timeout=self.timeout)

    def request(self, method, path, body=None):
        """Send one request; return the decoded JSON answer (None when empty).

        Raises ApiError on an HTTP error status or when the API is unreachable.
        """
        self.calls.append("%s %s" % (method, path))
        data = None
        headers = dict(self._headers)
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = Request(self.base + path, data=data, headers=headers)
        request.get_method = lambda: method
        try:
            response = self._open(request)
            try:
                raw = response.read()
            finally:
                response.close()
        except HTTPError as exc:
            raise ApiError(method, path, exc.code, _reason(exc.read()))
        except (URLError, socket.timeout, ssl.SSLError, OSError) as exc:
            raise ApiError(method, path, None, getattr(exc, "reason", exc))
        if not raw:
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError:
            raise ApiError(method, path, 200, "the answer is not JSON")

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body):
        return self.request("POST", path, body)

    def put(self, path, body):
        return self.request("PUT", path, body)

    def delete(self, path):
        return self.request("DELETE", path)
