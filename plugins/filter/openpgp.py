# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Fingerprints of the OpenPGP primary keys in an ASCII-armored public key block."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import re

DOCUMENTATION = r"""
name: openpgp_fingerprints
short_description: Fingerprints of the primary keys of an ASCII-armored OpenPGP public key block
version_added: 1.0.0
description:
  - Decodes the armor and reads the public-key packets (RFC 4880 version 4 and
    RFC 9580 version 6 keys), so a repository signing key can be checked
    against its published fingerprint on the controller, without gpg on the
    host. Subkeys are not listed.
  - Returns an empty list when the text is not an armored public key block.
options:
  _input:
    description: The armored key block.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Check the repository key is the one published
  ansible.builtin.assert:
    that: "'0A9AF2115F4687BD29803A206B73A36E6026DFCA' in key_text | mqops.rabbitmq.openpgp_fingerprints"
"""

RETURN = r"""
_value:
  description: Upper-case hexadecimal fingerprints, in the order of the block.
  type: list
  elements: str
"""

_ARMOR = re.compile(r"-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n(.*?)-----END PGP PUBLIC KEY BLOCK-----", re.S)


def _dearmor(text):
    match = _ARMOR.search(text or "")
    if not match:
        return b""
    body = match.group(1)
    # Armor headers end at the first empty line (when there are any).
    if re.search(r"^[A-Za-z-]+: ", body, re.M):
        body = body.split("\n\n", 1)[-1]
    lines = [line.strip() for line in body.splitlines() if line.strip() and not line.startswith("=")]
    try:
        return base64.b64decode("".join(lines), validate=True)
    except (ValueError, TypeError):
        return b""


def _packets(data):
    pos = 0
    while pos < len(data):
        head = data[pos]
        if not head & 0x80:
            return
        if head & 0x40:
            tag, first = head & 0x3F, data[pos + 1]
            if first < 192:
                length, pos = first, pos + 2
            elif first < 224:
                length, pos = ((first - 192) << 8) + data[pos + 2] + 192, pos + 3
            elif first == 255:
                length, pos = int.from_bytes(data[pos + 2:pos + 6], "big"), pos + 6
            else:
                return  # partial lengths are not used for key packets
        else:
            tag, kind = (head >> 2) & 0x0F, head & 0x03
            if kind == 3:
                return
            size = (1, 2, 4)[kind]
            length, pos = int.from_bytes(data[pos + 1:pos + 1 + size], "big"), pos + 1 + size
        yield tag, data[pos:pos + length]
        pos += length


def openpgp_fingerprints(text):
    """Fingerprints of the primary public keys in an armored block."""
    result = []
    for tag, body in _packets(_dearmor(text)):
        if tag != 6 or not body:
            continue
        if body[0] == 4:
            digest = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body)
        elif body[0] in (5, 6):
            digest = hashlib.sha256(bytes([0x95 + body[0]]) + len(body).to_bytes(4, "big") + body)
        else:
            continue
        result.append(digest.hexdigest().upper())
    return result


class FilterModule(object):
    """Ansible filters of mqops.rabbitmq."""

    def filters(self):
        return {"openpgp_fingerprints": openpgp_fingerprints}
