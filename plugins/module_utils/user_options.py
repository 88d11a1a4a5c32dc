# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The options of one user entry, shared by rabbitmq_definitions and rabbitmq_cli_users.

Both modules take ``users`` as a list of these entries (argument spec and
documentation, see options.py). Each module adds what only it has:
rabbitmq_cli_users per-vhost ``permissions``, rabbitmq_definitions the rules
tied to its other options (``extra_user_tags``, ``min_password_length``,
``api_user``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

HASHING_ALGORITHMS = [
    "rabbit_password_hashing_sha256",
    "rabbit_password_hashing_sha512",
    "rabbit_password_hashing_md5",
]
DEFAULT_HASHING_ALGORITHM = HASHING_ALGORITHMS[0]

USER_OPTIONS = {
    "name": dict(type="str", required=True, description="User name."),
    "state": dict(
        type="str", choices=["present", "absent"], default="present", description="Whether the user should exist."
    ),
    "password": dict(
        type="str",
        no_log=True,
        description=[
            "Plain text password (keep it in a vault). Compared locally with the stored salted hash; a new"
            " hash is set only when it differs (see O(users[].update_password)). The plain password is never"
            " sent anywhere.",
            "Mutually exclusive with O(users[].password_hash).",
        ],
    ),
    "password_hash": dict(
        type="str",
        no_log=True,
        description=[
            "Pre-computed RabbitMQ password hash (base64 of a 4-byte salt and the digest), for example from"
            " C(rabbitmqctl hash_password). An empty string creates a user that cannot log in with a password."
        ],
    ),
    "hashing_algorithm": dict(
        type="str",
        default=DEFAULT_HASHING_ALGORITHM,
        choices=list(HASHING_ALGORITHMS),
        description="Algorithm of a new hash or of O(users[].password_hash).",
    ),
    "update_password": dict(
        type="str",
        choices=["always", "on_create"],
        default="always",
        no_log=False,
        description="V(always) sets the password whenever it does not match; V(on_create) only when the user is"
        " created.",
    ),
    "tags": dict(
        type="list",
        elements="str",
        description=[
            "Tags, for example V(administrator), V(monitoring), V(management), V(policymaker) or"
            " V(impersonator). Omit to leave an existing user's tags alone."
        ],
    ),
}

# Element-level rules of the argument spec for a users list.
USER_CHECKS = dict(mutually_exclusive=[["password", "password_hash"]])

# rabbitmq_cli_users: required, with per-vhost permissions.
CLI_PERMISSION_OPTIONS = {
    "vhost": dict(type="str", default="/", description="Virtual host name."),
    "configure": dict(type="str", default=".*", description="Configure regular expression."),
    "write": dict(type="str", default=".*", description="Write regular expression."),
    "read": dict(type="str", default=".*", description="Read regular expression."),
}
CLI_USERS_OPTION = dict(
    type="list",
    elements="dict",
    required=True,
    description=["The users to manage. Users not listed are left alone."],
    options=dict(
        USER_OPTIONS,
        permissions=dict(
            type="list",
            elements="dict",
            options=CLI_PERMISSION_OPTIONS,
            description=["Permissions per virtual host. Virtual hosts not listed are left alone. The virtual hosts"
                         " must exist."],
        ),
    ),
    **USER_CHECKS
)

# rabbitmq_node_info: the same entries, optional, only compared (never applied).
COMPARED_USERS_OPTION = dict(
    CLI_USERS_OPTION,
    required=False,
    default=[],
    description=[
        "Users as M(mqops.rabbitmq.rabbitmq_cli_users) takes them. When the node's view of its cluster is read"
        " over the API, its users, permissions and virtual hosts are read too (three more requests), and"
        " RV(users_unchanged) says whether that module would find nothing to change - so that a play can skip"
        " it, one module run less. Nothing is changed.",
    ],
)
