#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rabbitmq_cli_users
short_description: Manage RabbitMQ users on the local node in two CLI calls
version_added: 1.0.0
description:
  - Creates, updates and deletes users of the internal database, with their
    tags and permissions, through the local node's C(rabbitmqctl).
  - Reads every user and permission with one C(rabbitmqctl export_definitions),
    computes the difference, writes creations and updates with one
    C(rabbitmqctl import_definitions) and deletes with C(rabbitmqctl delete_user).
    A run with nothing to change costs one CLI call, however many users.
  - Passwords are compared with the stored salted hash locally; an unchanged
    password is not re-set and is never passed on a command line.
  - Works without the management plugin, which makes it the tool to bootstrap
    the administrator that HTTP API based modules then log in as.
  - With O(api_url), users, permissions and virtual hosts are first read over
    the node's management API, logged in as the first user of O(users) with
    its password (the administrator being declared). When that read shows
    nothing to change, no CLI tool runs (a C(rabbitmqctl) call starts an
    Erlang VM, about a second). Any change, and any failed read (listener not
    up, the user or its password not there yet), goes through the CLI as
    without O(api_url).
author:
  # ansible-test's validate-modules wants a GitHub handle, "(@name)"; the project has no public
  # account yet, which "(!UNKNOWN)" is the marker for.
  - mqops contributors (!UNKNOWN)
extends_documentation_fragment:
  - mqops.rabbitmq.users
options:
  node:
    description: Erlang node name to talk to. Default is the local node.
    type: str
  api_url:
    description:
      - Base URL of the node's management API (for example V(http://127.0.0.1:15672)),
        used for the read-only fast path described above. Omit it to read
        through the CLI only.
    type: str
  validate_certs:
    description: Verify the certificate of an V(https://) O(api_url).
    type: bool
    default: true
  ca_path:
    description: CA bundle to verify an V(https://) O(api_url) with.
    type: path
  client_cert:
    description:
      - Client certificate (PEM) to present to an V(https://) O(api_url)
        whose listener requires one (mutual TLS). A path on the RabbitMQ
        host. Requires O(client_key); both may name the same file when it
        holds the certificate and its key.
      - With O(api_url), a missing or unreadable file, an encrypted key or a
        key that does not belong to the certificate is an error (before
        anything is read or changed), not a reason to fall back to the CLI.
        A listener that refuses the certificate is, like any failed read.
    type: path
  client_key:
    description:
      - Private key (PEM, unencrypted) of O(client_cert), a path on the
        RabbitMQ host. Only its path is ever shown. Requires O(client_cert).
    type: path
  use_proxy:
    description:
      - Reach a non-loopback O(api_url) through the proxy the environment
        names (C(https_proxy), C(no_proxy)), as M(ansible.builtin.uri) does.
        A loopback O(api_url) never goes through a proxy.
      - The C(rabbitmq_server) role sets V(false), since its O(api_url) is
        the node's own listener (by its FQDN when TLS is on).
    type: bool
    default: true
notes:
  - Runs on the RabbitMQ host itself, as root or the rabbitmq user.
attributes:
  check_mode:
    support: full
    description: Reads (over the API, else with one C(rabbitmqctl export_definitions)) and reports what would change.
  diff_mode:
    support: full
    description: Tags and permissions per user; a changed password shows as C((changed)), never its value or hash.
"""

EXAMPLES = r"""
- name: Bootstrap the administrator and remove guest
  mqops.rabbitmq.rabbitmq_cli_users:
    users:
      - name: admin
        password: "{{ vault_rabbitmq_admin_password }}"
        tags: [administrator]
        permissions:
          - vhost: /
      - name: guest
        state: absent

- name: The same, read first over HTTPS with a client certificate
  mqops.rabbitmq.rabbitmq_cli_users:
    api_url: https://localhost:15671
    ca_path: /etc/rabbitmq/tls/ca.pem
    client_cert: /etc/mqops/api-client/cert.pem
    client_key: /etc/mqops/api-client/key.pem
    users:
      - name: admin
        password: "{{ vault_rabbitmq_admin_password }}"
        tags: [administrator]
"""

RETURN = r"""
created:
  description: Names of the users created.
  returned: always
  type: list
  elements: str
  sample: [admin]
updated:
  description: Names of existing users whose password, tags or permissions changed.
  returned: always
  type: list
  elements: str
  sample: []
deleted:
  description: Names of the users deleted.
  returned: always
  type: list
  elements: str
  sample: [guest]
read_from:
  description: Where the current users were read, V(api) (management API, nothing to change) or V(cli).
  returned: always
  type: str
  sample: api
"""

import copy

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mqops.rabbitmq.plugins.module_utils.cli import (
    RabbitmqCliError,
    RabbitmqCtl,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import (
    API_ARGUMENT_SPEC,
    API_REQUIRED_TOGETHER,
    ApiError,
    ManagementApi,
    tls_file_problems,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.options import spec
from ansible_collections.mqops.rabbitmq.plugins.module_utils.user_options import CLI_USERS_OPTION
from ansible_collections.mqops.rabbitmq.plugins.module_utils.users_plan import (
    PlanError,
    empty_plan,
    login_user,
    plan,
    read_over_api,
)

# The users option is shared with rabbitmq_definitions (module_utils/user_options.py,
# documented by the mqops.rabbitmq.users doc fragment).
ARGUMENT_SPEC = dict(
    users=spec({"users": CLI_USERS_OPTION})["users"],
    node=dict(type="str"),
    # The local node's API for the read-only fast path: no default, no credentials of its own.
    api_url=dict(type="str"),
)
# TLS and proxy options as every management API module has them.
ARGUMENT_SPEC.update((name, copy.deepcopy(API_ARGUMENT_SPEC[name]))
                     for name in ("validate_certs", "ca_path", "client_cert", "client_key", "use_proxy"))

# Another node of the cluster created (or deleted) the same user between
# this node's export and its import (or deletion), see main(): read and
# planned again, this many attempts in all. 3.x and 4.x word them so.
RACE_ERRORS = ("user_already_exists", "no_such_user", "does not exist")
RACE_ATTEMPTS = 3

# Seconds for each read of the fast path: a listener that does not answer
# quickly is left to the CLI.
API_READ_TIMEOUT = 10


def unchanged_over_api(params):
    """The (empty) plan when the management API shows nothing to change, else None; never raises."""
    login = login_user(params["users"]) if params.get("api_url") else None
    if login is None:
        return None
    api = ManagementApi(params["api_url"], login[0], login[1], timeout=API_READ_TIMEOUT,
                        validate_certs=params["validate_certs"], ca_path=params["ca_path"],
                        client_cert=params["client_cert"], client_key=params["client_key"],
                        use_proxy=params["use_proxy"])
    try:
        return empty_plan(read_over_api(api), params["users"])
    except ApiError:
        return None


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_together=API_REQUIRED_TOGETHER,
                           supports_check_mode=True)

    # Files that cannot be used are the caller's mistake: an error, not a
    # reason to read through the CLI instead.
    if module.params["api_url"]:
        problems = tls_file_problems(module.params["ca_path"], module.params["client_cert"],
                                     module.params["client_key"])
        if problems:
            module.fail_json(msg="TLS files unusable, nothing was changed: %s" % "; ".join(problems))

    unchanged = unchanged_over_api(module.params)
    if unchanged is not None:
        result = dict(changed=False, created=[], updated=[], deleted=[], read_from="api")
        if module._diff:
            result["diff"] = dict(before=unchanged["before"], after=unchanged["after"])
        module.exit_json(**result)

    ctl = RabbitmqCtl(module, node=module.params["node"])
    # Members of one cluster share their users: nodes of a cluster formed at
    # first boot create the administrator at the same time, and the import
    # of all but the first fails with user_already_exists. The export is
    # then read again and the plan made again from it (usually: nothing left
    # to do).
    for attempt in range(1, RACE_ATTEMPTS + 1):
        try:
            definitions = ctl.export_definitions()
            changes = plan(definitions, module.params["users"])
        except PlanError as exc:
            module.fail_json(msg=str(exc))
        except RabbitmqCliError as exc:
            module.fail_json(msg=str(exc), rc=exc.rc, stderr=exc.stderr)

        changed = bool(changes["import"] or changes["delete"])
        if not changed or module.check_mode:
            break
        try:
            if changes["import"]:
                ctl.import_definitions(changes["import"])
            for name in changes["delete"]:
                ctl.delete_user(name)
            break
        except RabbitmqCliError as exc:
            output = (exc.stderr or "") + (exc.stdout or "")
            if attempt < RACE_ATTEMPTS and any(error in output for error in RACE_ERRORS):
                continue
            module.fail_json(msg=str(exc), rc=exc.rc, stderr=exc.stderr)

    result = dict(
        changed=changed,
        created=changes["created"],
        updated=changes["updated"],
        deleted=changes["delete"],
        read_from="cli",
    )
    if module._diff:
        result["diff"] = dict(before=changes["before"], after=changes["after"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
