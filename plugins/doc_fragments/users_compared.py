# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The ``users`` option of mqops.rabbitmq.rabbitmq_node_info: those of rabbitmq_cli_users, optional,
    only compared.

    Rendered from module_utils/user_options.py like the other fragments
    (tools/render_doc_fragments.py; tests/unit/test_doc_fragments.py checks
    it is current).
    """

    # Rendered by tools/render_doc_fragments.py from the option tables: do not edit.
    DOCUMENTATION = r"""
options:
  users:
    description:
    - Users as M(mqops.rabbitmq.rabbitmq_cli_users) takes them. When the node's view of its cluster is read over the API,
      its users, permissions and virtual hosts are read too (three more requests), and RV(users_unchanged) says whether that
      module would find nothing to change - so that a play can skip it, one module run less. Nothing is changed.
    type: list
    elements: dict
    default: []
    required: false
    suboptions:
      name:
        description:
        - User name.
        type: str
        required: true
      state:
        description:
        - Whether the user should exist.
        type: str
        default: present
        choices:
        - present
        - absent
      password:
        description:
        - Plain text password (keep it in a vault). Compared locally with the stored salted hash; a new hash is set only when
          it differs (see O(users[].update_password)). The plain password is never sent anywhere.
        - Mutually exclusive with O(users[].password_hash).
        type: str
      password_hash:
        description:
        - Pre-computed RabbitMQ password hash (base64 of a 4-byte salt and the digest), for example from C(rabbitmqctl hash_password).
          An empty string creates a user that cannot log in with a password.
        type: str
      hashing_algorithm:
        description:
        - Algorithm of a new hash or of O(users[].password_hash).
        type: str
        default: rabbit_password_hashing_sha256
        choices:
        - rabbit_password_hashing_sha256
        - rabbit_password_hashing_sha512
        - rabbit_password_hashing_md5
      update_password:
        description:
        - V(always) sets the password whenever it does not match; V(on_create) only when the user is created.
        type: str
        default: always
        choices:
        - always
        - on_create
      tags:
        description:
        - Tags, for example V(administrator), V(monitoring), V(management), V(policymaker) or V(impersonator). Omit to leave
          an existing user's tags alone.
        type: list
        elements: str
      permissions:
        description:
        - Permissions per virtual host. Virtual hosts not listed are left alone. The virtual hosts must exist.
        type: list
        elements: dict
        suboptions:
          vhost:
            description:
            - Virtual host name.
            type: str
            default: /
          configure:
            description:
            - Configure regular expression.
            type: str
            default: .*
          write:
            description:
            - Write regular expression.
            type: str
            default: .*
          read:
            description:
            - Read regular expression.
            type: str
            default: .*
"""
