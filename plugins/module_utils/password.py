# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""RabbitMQ internal-backend password hashes.

RabbitMQ stores base64(salt + H(salt + utf8(password))) with a 4-byte random
salt, H being the hashing module named by the user's ``hashing_algorithm``
(SHA-256 by default since 3.6). Comparing a plain password against a stored
hash needs no broker call and never sends the password anywhere.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import hmac
import os

SALT_BYTES = 4
DEFAULT_ALGORITHM = "rabbit_password_hashing_sha256"
ALGORITHMS = {
    "rabbit_password_hashing_sha256": hashlib.sha256,
    "rabbit_password_hashing_sha512": hashlib.sha512,
    "rabbit_password_hashing_md5": hashlib.md5,
}


class UnsupportedHashingAlgorithm(ValueError):
    """The stored hash uses an algorithm this module does not know."""


def _hasher(algorithm):
    try:
        return ALGORITHMS[algorithm or DEFAULT_ALGORITHM]
    except KeyError:
        raise UnsupportedHashingAlgorithm(
            "unsupported hashing_algorithm %r; known: %s" % (algorithm, ", ".join(sorted(ALGORITHMS)))
        )


def hash_password(password, algorithm=DEFAULT_ALGORITHM, salt=None):
    """Return the base64 salted hash RabbitMQ stores for ``password``."""
    if salt is None:
        salt = os.urandom(SALT_BYTES)
    if len(salt) != SALT_BYTES:
        raise ValueError("salt must be %d bytes" % SALT_BYTES)
    digest = _hasher(algorithm)(salt + password.encode("utf-8")).digest()
    return base64.b64encode(salt + digest).decode("ascii")


def password_matches(password, password_hash, algorithm=DEFAULT_ALGORITHM):
    """True when ``password`` hashes to ``password_hash`` (constant time).

    An empty or malformed stored hash (a user without a password) never
    matches.
    """
    if not password_hash:
        return False
    try:
        raw = base64.b64decode(password_hash.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    hasher = _hasher(algorithm)
    if len(raw) != SALT_BYTES + hasher().digest_size:
        return False
    expected = hash_password(password, algorithm, raw[:SALT_BYTES])
    return hmac.compare_digest(expected.encode("ascii"), password_hash.encode("ascii"))
