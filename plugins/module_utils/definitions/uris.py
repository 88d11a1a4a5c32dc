# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""AMQP URIs of shovels and federation upstreams: checking them, masking their credentials.

The checks follow amqp_uri:parse/2 of the Erlang AMQP client RabbitMQ uses
for shovels and federation links. A reason never repeats the URI: it may
hold a password.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from urllib.parse import urlsplit

MASK = "********"
ALLOWED = "amqp://[user[:password]@]host[:port][/vhost][?query] or amqps://... (amqp:// alone: the local node)"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_HOST = re.compile(r"^[A-Za-z0-9_.-]+$|^[0-9A-Fa-f:.]+$")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")

# scheme://user:password@ - greedy up to the last "@" of the authority, so a
# password with a stray "@" is masked whole.
_URI_CREDENTIALS = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/?#@]*):[^/?#]*@")


def mask_uri(uri):
    """``amqp://user:secret@host/vh`` -> ``amqp://user:********@host/vh``."""
    if not isinstance(uri, str):
        return uri
    return _URI_CREDENTIALS.sub(r"\1:" + MASK + "@", uri)


def mask_uris(value):
    """A copy of a federation/shovel value with every URI masked."""
    if isinstance(value, dict):
        return dict((k, mask_uris(v)) for k, v in value.items())
    if isinstance(value, list):
        return [mask_uris(v) for v in value]
    return mask_uri(value)


def one_or_list(value):
    """A URI option: one string stays a string, several become a list."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = [str(v) for v in value]
        if len(value) == 1:
            return value[0]
        return value
    return str(value)


def uri_error(uri):
    """None when ``uri`` is an AMQP URI RabbitMQ accepts, else why not (without the URI)."""
    if not isinstance(uri, str) or not uri:
        return "not a URI"
    if any(c.isspace() or ord(c) < 32 for c in uri):
        return "contains white space or control characters"
    match = _SCHEME.match(uri)
    if not match:
        return "no scheme"
    scheme = match.group(1).lower()
    if scheme not in ("amqp", "amqps"):
        return "scheme %r is not amqp or amqps" % scheme
    if _BAD_ESCAPE.search(uri):
        return "a % is not followed by two hexadecimal digits"
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return "the port is not a number from 1 to 65535"
    host = parts.hostname
    if port is not None and not 0 < port <= 65535:
        return "the port is not a number from 1 to 65535"
    if not host:
        if port is not None:
            return "a port needs a host"
        if scheme == "amqps":
            return "amqps needs a host"
    elif not _HOST.match(host):
        return "the host is not a host name or an IP address"
    if parts.path not in ("", "/") and "/" in parts.path[1:]:
        return "the virtual host has a '/' (write it as %2F)"
    return None


def uri_errors(where, uris):
    """One message per URI of ``uris`` (a list or a string) RabbitMQ would refuse.

    ``where`` names the field, for example ``shovels[vhost=/, name=s].src_uri``.
    """
    if uris is None:
        return []
    if isinstance(uris, str):
        uris = [uris]
    errors = []
    for index, uri in enumerate(uris):
        reason = uri_error(uri)
        if reason:
            errors.append("%s[%d]: not a valid AMQP URI (%s); allowed: %s; the value is not shown"
                          % (where, index, reason, ALLOWED))
    return errors
