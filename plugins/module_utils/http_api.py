# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""A small client for the RabbitMQ management HTTP API, on Ansible's ``open_url``.

Modules run on the broker host and talk to the node's own management
listener (by default http://127.0.0.1:15672). Requests go through
``ansible.module_utils.urls.open_url``, which ships with every module: HTTP
basic authentication, server certificates verified against the system's or
a given CA bundle, client certificates (mutual TLS), and proxies from the
environment as urllib honours them (``https_proxy``, ``no_proxy``), except
for a loopback ``api_url``: the node's own listener is never reached through
a proxy, whatever the environment says (a play-level ``https_proxy`` set for
apt would otherwise send the local API's requests, basic-auth header
included, to the proxy).

Every request made is recorded in ``ManagementApi.calls`` as
``"METHOD /api/path"`` (never with its body): modules return it, tests assert
on it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import os
import re
import socket
import ssl

from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urlsplit

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

# Options every module that talks to the management API shares (see the
# doc fragment mqops.rabbitmq.management_api).
API_ARGUMENT_SPEC = dict(
    api_url=dict(type="str", default="http://127.0.0.1:15672"),
    api_user=dict(type="str", default="admin"),
    api_password=dict(type="str", required=True, no_log=True),
    api_timeout=dict(type="int", default=300),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    client_cert=dict(type="path"),
    # A path, not the key itself.
    client_key=dict(type="path", no_log=False),
    use_proxy=dict(type="bool", default=True),
)
# Read-only modules that use the node's own API when given one and the CLI
# otherwise (doc fragment mqops.rabbitmq.management_api.optional_login, and
# api_url documented by each): no default URL, no password required.
OPTIONAL_API_ARGUMENT_SPEC = dict(
    api_url=dict(type="str"),
    api_user=dict(type="str", default="admin"),
    api_password=dict(type="str", no_log=True),
    api_timeout=dict(type="int", default=10),
)
# AnsibleModule(required_together=...): a certificate is useless without its key.
API_REQUIRED_TOGETHER = [["client_cert", "client_key"]]

HTTP_AGENT = "ansible-mqops.rabbitmq"

_CERTIFICATE = "-----BEGIN CERTIFICATE-----"
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )?PRIVATE KEY-----")
_ENCRYPTED_KEY = re.compile(r"-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type: *4, *ENCRYPTED", re.MULTILINE)
_ENCRYPTED = ("the key is encrypted; a passphrase-protected key cannot be used (store it unencrypted,"
              " readable only by its owner)")
# Larger files are not PEM material anyone means to use.
_MAX_PEM_BYTES = 1024 * 1024

# What a TLS failure usually means, said in the options' terms.
_HINTS = (
    (re.compile(r"certificate.required|CERTIFICATE_REQUIRED", re.IGNORECASE),
     "the listener requires a client certificate: set client_cert and client_key"),
    (re.compile(r"unknown.ca|UNKNOWN_CA|bad.certificate|BAD_CERTIFICATE", re.IGNORECASE),
     "the listener refused the client certificate: is it signed by a CA the listener trusts?"),
    (re.compile(r"CERTIFICATE_VERIFY_FAILED", re.IGNORECASE),
     "the server certificate could not be verified: set ca_path to the CA bundle that signed it"),
)


class ApiError(Exception):
    """A request failed: HTTP status (None when the API was unreachable)."""

    def __init__(self, method, path, status, reason, document=None):
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        # The decoded JSON error document, when the API sent one (a failed
        # health check lists what failed in it).
        self.document = document
        # A TLS refusal (the listener is up and said no), in the options' terms; else None.
        self.hint = None
        if status is None:
            text = "%s %s: cannot reach the management API: %s" % (method, path, reason)
            hints = [hint for pattern, hint in _HINTS if pattern.search(str(reason))]
            if hints:
                self.hint = hints[0]
                text += " (%s)" % self.hint
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


def _document(body):
    """The JSON document of an error answer, else None."""
    try:
        return json.loads(body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or ""))
    except ValueError:
        return None


def _pem_problem(path, want_key):
    """What makes ``path`` unusable as a PEM certificate (or private key), else None. Never shows its contents."""
    if not os.path.exists(path):
        return "no such file"
    if os.path.isdir(path):
        return "a directory, not a file"
    try:
        with open(path, "rb") as handle:
            text = handle.read(_MAX_PEM_BYTES).decode("ascii", "replace")
    except (IOError, OSError) as exc:
        return "cannot be read (%s)" % (exc.strerror or exc)
    if want_key:
        if _ENCRYPTED_KEY.search(text):
            return _ENCRYPTED
        if not _PRIVATE_KEY.search(text):
            return "no PEM private key in it (-----BEGIN ... PRIVATE KEY-----)"
    elif _CERTIFICATE not in text:
        return "no PEM certificate in it (%s)" % _CERTIFICATE
    return None


def _refuse_password():
    raise ValueError("encrypted key")


def tls_file_findings(ca_path=None, client_cert=None, client_key=None):
    """What is wrong with the TLS files given (paths on this host): ``[dict(option, path, problem)]``.

    Checked before any request: ``open_url`` would report a missing file or
    a key that does not belong to its certificate as an unreachable API.
    Returns [] when every file given can be used. ``problem`` never shows a
    file's contents. (rabbitmq_node_info returns these for the roles, which
    name their own variables.)
    """
    findings = []
    for option, path, want_key in (("ca_path", ca_path, False), ("client_cert", client_cert, False),
                                   ("client_key", client_key, True)):
        if path:
            problem = _pem_problem(path, want_key)
            if problem:
                findings.append(dict(option=option, path=path, problem=problem))
    if client_cert and client_key and not findings:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            context.load_cert_chain(client_cert, client_key, password=_refuse_password)
        except ValueError:
            findings.append(dict(option="client_key", path=client_key, problem=_ENCRYPTED))
        except ssl.SSLError as exc:
            if "KEY_VALUES_MISMATCH" in str(exc):
                problem = "not the private key of the certificate in %s (their public keys differ)" % client_cert
            else:
                problem = "cannot be loaded with the certificate in %s: %s" % (client_cert, exc.reason or exc)
            findings.append(dict(option="client_key", path=client_key, problem=problem))
    return findings


def tls_file_problems(ca_path=None, client_cert=None, client_key=None):
    """The findings of tls_file_findings() as messages naming the module options."""
    return ["%(option)s %(path)s: %(problem)s" % finding
            for finding in tls_file_findings(ca_path, client_cert, client_key)]


def is_loopback(url):
    """True when the URL's host is this machine: localhost, 127.0.0.0/8 or ::1."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ManagementApi(object):
    """Blocking JSON client with HTTP basic authentication, optionally with a client certificate."""

    def __init__(self, url, user, password, timeout=300, validate_certs=True, ca_path=None, client_cert=None,
                 client_key=None, use_proxy=True):
        self.base = url.rstrip("/")
        self._user = user
        self._password = password
        self._tls = dict(validate_certs=validate_certs, ca_path=ca_path or None, client_cert=client_cert or None,
                         client_key=client_key or None)
        # The environment's proxies apply to remote listeners only (see the module docstring).
        self.use_proxy = bool(use_proxy) and not is_loopback(self.base)
        self.timeout = timeout
        self.calls = []

    def _open(self, method, url, data, headers):
        """open_url, separated so tests can replace the transport (``http_api.open_url``)."""
        return open_url(
            url,
            data=data,
            headers=headers,
            method=method,
            timeout=self.timeout,
            url_username=self._user,
            url_password=self._password,
            force_basic_auth=True,
            http_agent=HTTP_AGENT,
            use_proxy=self.use_proxy,
            **self._tls
        )

    def request(self, method, path, body=None):
        """Send one request; return the decoded JSON answer (None when empty).

        Raises ApiError on an HTTP error status or when the API is unreachable.
        """
        self.calls.append("%s %s" % (method, path))
        data = None
        # No Accept header: some endpoints (DELETE /api/user-limits/...)
        # answer 406 to "Accept: application/json".
        headers = {}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            response = self._open(method, self.base + path, data, headers)
            try:
                raw = response.read()
            finally:
                response.close()
        except HTTPError as exc:
            body = exc.read()
            raise ApiError(method, path, exc.code, _reason(body), _document(body))
        except (URLError, UrlsConnectionError, HTTPException, socket.timeout, ssl.SSLError, OSError) as exc:
            # URLError wraps the cause; an SSLError's own reason is only its code.
            raise ApiError(method, path, None, exc.reason if isinstance(exc, URLError) else exc)
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
