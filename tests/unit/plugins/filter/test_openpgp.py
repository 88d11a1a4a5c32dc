# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""openpgp_fingerprints: the repository key is checked without gpg on the host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import pathlib

from ansible_collections.mqops.rabbitmq.plugins.filter.openpgp import FilterModule, openpgp_fingerprints

DATA = pathlib.Path(__file__).parent / "data"
# Team RabbitMQ's release signing key (public), as the install guide fetches it:
# RSA, version 4, with armor headers and a subkey.
RABBITMQ_KEY = (DATA / "rabbitmq-release-signing-key.asc").read_text()


def armor(packets):
    body = base64.b64encode(packets).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n%s\n-----END PGP PUBLIC KEY BLOCK-----\n" % "\n".join(lines)


def test_rabbitmq_release_key():
    assert openpgp_fingerprints(RABBITMQ_KEY) == ["0A9AF2115F4687BD29803A206B73A36E6026DFCA"]


def test_not_a_key():
    assert openpgp_fingerprints("") == []
    assert openpgp_fingerprints("-----BEGIN PGP PRIVATE KEY BLOCK-----\nabc\n-----END PGP PRIVATE KEY BLOCK-----") == []
    assert openpgp_fingerprints("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!\n-----END PGP PUBLIC KEY BLOCK-----") == []


def test_v4_and_v6_keys_and_old_packet_format():
    # v4 Ed25519 public key body (version, time, algorithm 22, curve OID, point).
    v4 = bytes([4, 0x5f, 0, 0, 0, 22, 9]) + bytes.fromhex("2b06010401da470f01") + bytes([1, 7, 0x40]) + bytes(32)
    v6 = bytes([6, 0x63, 0, 0, 0, 27, 0, 0, 0, 32]) + bytes(32)
    new_format = bytes([0xC6, len(v4)]) + v4
    old_format = bytes([0x98, len(v6)]) + v6          # tag 6, one-octet length
    expected_v4 = hashlib.sha1(b"\x99" + len(v4).to_bytes(2, "big") + v4).hexdigest().upper()
    expected_v6 = hashlib.sha256(b"\x9b" + len(v6).to_bytes(4, "big") + v6).hexdigest().upper()
    assert openpgp_fingerprints(armor(new_format + old_format)) == [expected_v4, expected_v6]


def test_registered():
    assert FilterModule().filters()["openpgp_fingerprints"] is openpgp_fingerprints
