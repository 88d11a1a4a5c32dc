# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""AMQP URIs of shovels and federation upstreams: masking their credentials."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

MASK = "********"

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
