# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Unit tests for module_utils/password.py (no broker involved)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib

import pytest

from ansible_collections.mqops.rabbitmq.plugins.module_utils import password as pw
from ansible_collections.mqops.rabbitmq.plugins.module_utils.password import (
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    SALT_BYTES,
    UnsupportedHashingAlgorithm,
    hash_password,
    password_matches,
)

SHA256 = "rabbit_password_hashing_sha256"
SHA512 = "rabbit_password_hashing_sha512"
MD5 = "rabbit_password_hashing_md5"

FIXED_SALT = b"\x90\x8b\x1c\x0f"

# The worked example of the RabbitMQ "Credentials and Passwords" guide,
# section "Computing Password Hash": salt 908D C60A, password test12, SHA-256.
DOCS_SALT = bytes(bytearray([0x90, 0x8D, 0xC6, 0x0A]))
DOCS_SHA256_HASH = "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR"
# The historical MD5 example (RabbitMQ < 3.6): salt CAD5 089B, password simon.
MD5_SALT = bytes(bytearray([0xCA, 0xD5, 0x08, 0x9B]))
MD5_HASH = "ytUIm8s3AnKsXQjptplKFytfVxI="

DIGESTS = {SHA256: hashlib.sha256, SHA512: hashlib.sha512, MD5: hashlib.md5}


def reference_hash(password, salt, digest=hashlib.sha256):
    """Independent implementation: base64(salt + H(salt + utf8(password)))."""
    return base64.b64encode(salt + digest(salt + password.encode("utf-8")).digest()).decode("ascii")


# --- known answers -----------------------------------------------------------


def test_known_answer_against_independent_computation():
    expected = reference_hash("test12", FIXED_SALT)
    assert hash_password("test12", SHA256, FIXED_SALT) == expected
    assert password_matches("test12", expected, SHA256)


def test_known_answer_from_rabbitmq_docs():
    # Recomputed independently, and compared with the published value.
    assert reference_hash("test12", DOCS_SALT) == DOCS_SHA256_HASH
    assert hash_password("test12", SHA256, DOCS_SALT) == DOCS_SHA256_HASH
    assert hash_password("test12", salt=DOCS_SALT) == DOCS_SHA256_HASH
    assert password_matches("test12", DOCS_SHA256_HASH)
    assert password_matches("test12", DOCS_SHA256_HASH, SHA256)
    assert not password_matches("test13", DOCS_SHA256_HASH)


def test_docs_hash_layout():
    raw = base64.b64decode(DOCS_SHA256_HASH)
    assert raw[:SALT_BYTES] == DOCS_SALT
    assert raw[SALT_BYTES:] == hashlib.sha256(DOCS_SALT + b"test12").digest()


def test_known_answer_md5():
    assert reference_hash("simon", MD5_SALT, hashlib.md5) == MD5_HASH
    assert hash_password("simon", MD5, MD5_SALT) == MD5_HASH
    assert password_matches("simon", MD5_HASH, MD5)


@pytest.mark.parametrize("algorithm", sorted(DIGESTS))
def test_hash_layout_per_algorithm(algorithm):
    digest = DIGESTS[algorithm]
    value = hash_password("test12", algorithm, FIXED_SALT)
    assert value == reference_hash("test12", FIXED_SALT, digest)
    raw = base64.b64decode(value, validate=True)
    assert len(raw) == SALT_BYTES + digest().digest_size
    assert raw[:SALT_BYTES] == FIXED_SALT


def test_algorithm_table_is_the_documented_one():
    assert set(ALGORITHMS) == set(DIGESTS)
    assert DEFAULT_ALGORITHM == SHA256


def test_none_algorithm_means_default():
    assert hash_password("test12", None, DOCS_SALT) == DOCS_SHA256_HASH
    assert password_matches("test12", DOCS_SHA256_HASH, None)


# --- salts ---------------------------------------------------------------------


def test_random_salt_is_four_bytes_from_urandom(monkeypatch):
    calls = []

    def fake_urandom(n):
        calls.append(n)
        return DOCS_SALT

    monkeypatch.setattr(pw.os, "urandom", fake_urandom)
    assert hash_password("test12") == DOCS_SHA256_HASH
    assert calls == [SALT_BYTES]


def test_random_salts_differ_and_both_match():
    first = hash_password("secret")
    second = hash_password("secret")
    # 2**-32 chance of a false failure.
    assert first != second
    assert password_matches("secret", first)
    assert password_matches("secret", second)


@pytest.mark.parametrize("salt", [b"", b"\x00", b"\x00\x01\x02", b"\x00\x01\x02\x03\x04"])
def test_wrong_salt_length_is_rejected(salt):
    with pytest.raises(ValueError, match="salt must be 4 bytes"):
        hash_password("test12", SHA256, salt)


# --- matching ------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", sorted(DIGESTS))
def test_matches_and_mismatch(algorithm):
    stored = hash_password("right", algorithm, FIXED_SALT)
    assert password_matches("right", stored, algorithm) is True
    assert password_matches("wrong", stored, algorithm) is False
    assert password_matches("Right", stored, algorithm) is False
    assert password_matches("right ", stored, algorithm) is False
    assert password_matches("", stored, algorithm) is False


def test_empty_password_can_be_hashed_and_matched():
    stored = hash_password("", SHA256, FIXED_SALT)
    assert password_matches("", stored)
    assert not password_matches("x", stored)


@pytest.mark.parametrize("stored", ["", None])
def test_empty_hash_never_matches(stored):
    assert password_matches("", stored) is False
    assert password_matches("test12", stored) is False


def test_empty_hash_never_matches_even_with_unknown_algorithm():
    # A user without a password: nothing to compare, no algorithm lookup.
    assert password_matches("test12", "", "rabbit_password_hashing_bogus") is False


@pytest.mark.parametrize(
    "stored",
    [
        "not base64!",
        "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2PO",  # truncated: bad padding
        "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR\n",  # trailing newline
        " kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR",  # leading space
        "kI3GCqW5JLMJa4iX1lo7X4D6_bYqlLgxIs30-P6tENUV2POR",  # urlsafe alphabet
        "====",
        u"kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2P\u00d6R",  # non-ASCII
    ],
)
def test_malformed_base64_never_matches(stored):
    assert password_matches("test12", stored) is False


@pytest.mark.parametrize(
    "raw_length",
    [1, SALT_BYTES, SALT_BYTES + 31, SALT_BYTES + 33, SALT_BYTES + 16, SALT_BYTES + 64],
)
def test_wrong_length_never_matches(raw_length):
    stored = base64.b64encode(b"\x01" * raw_length).decode("ascii")
    assert password_matches("test12", stored, SHA256) is False


def test_hash_of_other_algorithm_has_wrong_length():
    sha256_hash = hash_password("test12", SHA256, FIXED_SALT)
    sha512_hash = hash_password("test12", SHA512, FIXED_SALT)
    md5_hash = hash_password("test12", MD5, FIXED_SALT)
    assert not password_matches("test12", sha256_hash, SHA512)
    assert not password_matches("test12", sha256_hash, MD5)
    assert not password_matches("test12", sha512_hash, SHA256)
    assert not password_matches("test12", md5_hash, SHA256)


def test_tampered_digest_does_not_match():
    raw = bytearray(base64.b64decode(DOCS_SHA256_HASH))
    raw[-1] ^= 0x01
    assert not password_matches("test12", base64.b64encode(bytes(raw)).decode("ascii"))


def test_other_salt_same_digest_does_not_match():
    raw = bytearray(base64.b64decode(DOCS_SHA256_HASH))
    raw[0] ^= 0x01
    assert not password_matches("test12", base64.b64encode(bytes(raw)).decode("ascii"))


# --- unknown algorithms --------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["rabbit_password_hashing_sha384", "sha256", "SHA256", "bogus"])
def test_unknown_algorithm_hash_password_raises(algorithm):
    with pytest.raises(UnsupportedHashingAlgorithm) as excinfo:
        hash_password("test12", algorithm, FIXED_SALT)
    message = str(excinfo.value)
    assert repr(algorithm) in message
    for known in sorted(DIGESTS):
        assert known in message


def test_unknown_algorithm_password_matches_raises():
    with pytest.raises(UnsupportedHashingAlgorithm, match="rabbit_password_hashing_sha384"):
        password_matches("test12", DOCS_SHA256_HASH, "rabbit_password_hashing_sha384")


def test_unsupported_algorithm_is_a_value_error():
    assert issubclass(UnsupportedHashingAlgorithm, ValueError)


# --- unicode -------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [u"p\u00e4ssw\u00f6rd", u"\u043f\u0430\u0440\u043e\u043b\u044c", u"\u5bc6\u7801", u"\U0001f511key", u"caf\u00e9"],
)
@pytest.mark.parametrize("algorithm", sorted(DIGESTS))
def test_unicode_passwords(password, algorithm):
    stored = hash_password(password, algorithm, FIXED_SALT)
    assert stored == reference_hash(password, FIXED_SALT, DIGESTS[algorithm])
    assert password_matches(password, stored, algorithm)
    assert not password_matches(password + u"x", stored, algorithm)


def test_unicode_normalisation_is_not_applied():
    # U+00E9 and "e" + U+0301 render alike but are different UTF-8 bytes;
    # RabbitMQ hashes the bytes, so they must not match each other.
    composed = u"caf\u00e9"
    decomposed = u"cafe\u0301"
    stored = hash_password(composed, SHA256, FIXED_SALT)
    assert password_matches(composed, stored)
    assert not password_matches(decomposed, stored)
