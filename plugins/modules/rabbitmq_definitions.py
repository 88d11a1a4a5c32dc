#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rabbitmq_definitions
short_description: Declare a RabbitMQ topology as data, in a constant number of API calls
version_added: 1.0.0
description:
  - Manages virtual hosts, users, permissions, topic permissions, policies,
    operator policies, virtual host and user limits, global parameters,
    federation upstreams and upstream sets, dynamic shovels, exchanges, queues
    and bindings through the management HTTP API.
  - Reads the whole broker state with one C(GET /api/definitions), computes
    the difference with what is declared, and writes every creation and
    update with C(POST /api/definitions) - one request for a usual run; for
    thousands of objects, requests of bounded size in dependency order
    (25 new virtual hosts or 500 simple objects each), so each finishes
    well within the broker's HTTP timeouts and an interrupted run is simply
    run again. Deletions, the removal of single user limits, clearing topic
    permissions and re-creating a queue are targeted requests. A run with
    nothing to change costs one request however many objects are declared
    (two on RabbitMQ before 3.11 when virtual host metadata is compared or
    a virtual host may be deleted, because those exports lack that
    metadata; one more, C(GET /api/nodes?columns=name), when a quorum
    initial group size above 1 is declared).
  - Never leaves a run half-applied. When the broker refuses a request after
    others were applied (or refuses an import, which it applies object by
    object until the refused one), the module reads the broker again,
    brings every object the run touched back to its state before the run
    (deletes what it created, imports the previous values of what it
    changed, re-declares what it deleted - a deleted queue comes back
    empty), and fails reporting what was applied, refused and reverted. A
    request that timed out is not reverted (the broker may still be working
    on it); the message says so and a re-run converges.
  - Validates everything before any change and reports every problem at
    once, each naming the object and the field - invalid regular expressions,
    unknown C(apply-to), policy keys the broker version does not know (for
    example C(ha-mode) on RabbitMQ 4), references to virtual hosts, users,
    exchanges, queues or upstreams that are neither declared nor existing,
    new users without a password, duplicates, shovels without a destination,
    user tags RabbitMQ does not know (see O(extra_user_tags)), plain
    passwords shorter than O(min_password_length), quorum initial group sizes
    (queue argument C(x-quorum-initial-group-size), policy key
    C(initial-cluster-size)) that are not a whole number from 1 to the
    number of cluster nodes, queue arguments and policy values of the wrong
    type or range (or for another queue type), shovel and federation URIs
    RabbitMQ cannot parse (never shown), empty names, and O(api_user)
    declared in O(users) with another password, deleted or without the
    C(administrator) tag. The broker version comes from the same export.
  - Objects that are not declared are left alone, unless O(purge) is set for
    their kind.
  - Passwords are compared with the stored salted hash on the managed host;
    the plain password is never sent anywhere, only a new salted hash when it
    changed. Diffs and results never contain passwords or hashes, and
    credentials in URIs are masked.
author:
  # ansible-test's validate-modules wants a GitHub handle, "(@name)"; the project has no public
  # account yet, which "(!UNKNOWN)" is the marker for.
  - mqops contributors (!UNKNOWN)
extends_documentation_fragment:
  - mqops.rabbitmq.management_api
  - mqops.rabbitmq.management_api.tls
  - mqops.rabbitmq.definitions
options:
  protected_users:
    description:
      - Users never purged, in addition to O(api_user).
    type: list
    elements: str
    default: []
  recreate_queues:
    description:
      - When a declared queue differs from the existing one in what RabbitMQ
        cannot change in place (type, durability, arguments), delete it if it
        is empty and declare it again, with its bindings. A queue with
        messages makes the run fail.
      - The broker checks a classic queue's emptiness atomically
        (C(if-empty)). It refuses C(if-empty) for quorum queues and streams,
        so for those the module reads the queue's message count (management
        statistics, refreshed every few seconds) just before deleting it;
        stop publishers first.
    type: bool
    default: false
  extra_policy_keys:
    description:
      - Policy definition keys to accept in addition to those the broker
        version is known to have (for example from third-party plugins).
    type: list
    elements: str
    default: []
  extra_user_tags:
    description:
      - User tags to accept in addition to the built-in V(administrator),
        V(monitoring), V(management), V(policymaker) and V(impersonator),
        for example tags another authentication or authorisation backend
        reads. Any other tag in O(users[].tags) is an error.
    type: list
    elements: str
    default: []
  min_password_length:
    description:
      - Shortest plain O(users[].password) accepted, in characters; a
        shorter one is an error (the message never shows the password).
        O(users[].password_hash) is not checked.
      - V(0) disables the check.
    type: int
    default: 0
  api_wait:
    description:
      - Seconds to keep retrying the first read while the management API
        refuses connections (a node that has just started opens its
        management listener last). Any HTTP error is reported at once.
      - V(0) fails at the first refused connection.
    type: int
    default: 0
notes:
  - Runs on a broker node (or anywhere that reaches O(api_url)); in a role,
    cluster-wide definitions are applied once per cluster with C(run_once).
  - An HTTP definitions import gives the importing user full permissions on
    each virtual host it creates.
  - Regular expressions are checked with Python's C(re), which accepts the
    common syntax of the PCRE dialect RabbitMQ uses.
attributes:
  check_mode:
    support: full
    description: Reads the broker state and reports every change and request it would make; sends no write.
  diff_mode:
    support: full
    description: Per object, before and after; passwords, hashes and credentials in URIs are never shown.
"""

EXAMPLES = r"""
- name: Declare the topology of the orders service
  mqops.rabbitmq.rabbitmq_definitions:
    api_password: "{{ vault_rabbitmq_admin_password }}"
    vhosts:
      - name: orders
        description: Order processing
        tags: [production]
    users:
      - name: orders-app
        password: "{{ vault_orders_app_password }}"
        tags: []
      - name: legacy
        state: absent
    permissions:
      - user: orders-app
        vhost: orders
        configure: "^orders\\."
        write: "^orders\\."
        read: "^orders\\."
    policies:
      - name: orders-limits
        vhost: orders
        pattern: "^orders\\."
        apply_to: queues
        definition:
          max-length: 100000
          overflow: reject-publish
    vhost_limits:
      - vhost: orders
        max_connections: 200
        max_queues: 500
    exchanges:
      - name: orders.events
        vhost: orders
        type: topic
    queues:
      - name: orders.created
        vhost: orders
        type: quorum
    bindings:
      - vhost: orders
        source: orders.events
        destination: orders.created
        routing_key: "order.created.#"

- name: Federate an exchange from another data centre and shovel a queue
  mqops.rabbitmq.rabbitmq_definitions:
    api_password: "{{ vault_rabbitmq_admin_password }}"
    federation_upstreams:
      - name: dc1
        vhost: orders
        uri: "amqp://federation:{{ vault_federation_password }}@dc1-rabbit/orders"
        max_hops: 1
    policies:
      - name: federate-events
        vhost: orders
        pattern: "^orders\\.events$"
        apply_to: exchanges
        definition:
          federation-upstream: dc1
    shovels:
      - name: drain-old-queue
        vhost: orders
        src_uri: amqp:///orders
        src_queue: orders.old
        src_delete_after: queue-length
        dest_uri: amqp:///orders
        dest_queue: orders.created

- name: Declare a virtual host over HTTPS, on a listener that requires a client certificate
  mqops.rabbitmq.rabbitmq_definitions:
    api_url: https://rabbit1.example.com:15671
    api_password: "{{ vault_rabbitmq_admin_password }}"
    ca_path: /etc/rabbitmq/tls/ca.pem
    client_cert: /etc/mqops/api-client/cert.pem
    client_key: /etc/mqops/api-client/key.pem
    vhosts:
      - name: orders

- name: Remove what is not declared, for users and policies only
  mqops.rabbitmq.rabbitmq_definitions:
    api_password: "{{ vault_rabbitmq_admin_password }}"
    users: "{{ rabbitmq_users }}"
    policies: "{{ rabbitmq_policies }}"
    purge:
      users: true
      policies: true
"""

RETURN = r"""
changes:
  description: Every object created, updated, deleted or re-created (nothing secret).
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: Object kind (the option name).
      type: str
    object:
      description: The object, as error messages name it.
      type: str
    action:
      description: V(create), V(update), V(delete) or V(recreate).
      type: str
  sample:
    - kind: policies
      object: "policies[vhost=orders, name=orders-limits]"
      action: update
summary:
  description: Number of changes per kind and action.
  returned: always
  type: dict
  sample: {users: {create: 2}, policies: {update: 1}}
requests:
  description:
    - The write requests the run sent, or would send in check mode, as
      C(METHOD /api/path) (never with their bodies), in order.
  returned: always
  type: list
  elements: str
  sample: ["POST /api/definitions", "DELETE /api/policies/orders/old"]
api_calls:
  description:
    - Every HTTP request actually sent, reads included, as C(METHOD /api/path).
      A run with nothing to change usually sends one (see the description).
  returned: always
  type: list
  elements: str
  sample: ["GET /api/definitions"]
rabbitmq_version:
  description: Broker version from the definitions export.
  returned: always
  type: str
  sample: 4.0.5
errors:
  description: Every validation problem, each naming the object and the field.
  returned: failure
  type: list
  elements: str
  sample: ["policies[vhost=/, name=ha].definition: 'ha-mode' is not available on RabbitMQ 4.0.5 ..."]
applied:
  description: When a request was refused - the objects of the requests applied before it.
  returned: failure
  type: list
  elements: str
  sample: ["vhosts[a]", "vhosts[b]"]
failed_request:
  description: When a request was refused - that request, as C(METHOD /api/path).
  returned: failure
  type: str
  sample: POST /api/definitions
failed_objects:
  description: When a request was refused - the objects it carried (an import may have applied some).
  returned: failure
  type: list
  elements: str
  sample: ["vhosts[c]", "exchanges[vhost=a, name=delayed]"]
reverted:
  description:
    - When a request was refused - what the revert changed to bring the broker
      back to its state before the run, as in RV(changes). Empty when nothing
      had changed, or when the failed request timed out (not reverted).
  returned: failure
  type: list
  elements: dict
  sample: [{kind: vhosts, object: "vhosts[a]", action: delete}]
invocation:
  description:
    - The module's arguments, each object kind's list replaced by its length
      (declared objects are not echoed back; those that changed are in
      RV(changes)). Shown with C(-vvv).
  returned: always
  type: dict
  sample: {module_args: {api_url: "http://127.0.0.1:15672", vhosts: "1000 entries"}}
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.applying import (
    ApplyFailed,
    apply_or_revert,
    failure_report,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.registry import KINDS, option_table
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.model import DefinitionsError
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.planning import planner_for, revert_plan
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.state import (
    read_cluster_nodes,
    read_state,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import (
    API_ARGUMENT_SPEC,
    API_REQUIRED_TOGETHER,
    ApiError,
    ManagementApi,
    tls_file_problems,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.options import spec

# One list per object kind and purge (documented by the mqops.rabbitmq.definitions
# doc fragment from the same tables), the options below, the API's.
ARGUMENT_SPEC = spec(option_table())
ARGUMENT_SPEC.update(
    protected_users=dict(type="list", elements="str", default=[]),
    recreate_queues=dict(type="bool", default=False),
    extra_policy_keys=dict(type="list", elements="str", default=[], no_log=False),
    extra_user_tags=dict(type="list", elements="str", default=[]),
    min_password_length=dict(type="int", default=0, no_log=False),
    api_wait=dict(type="int", default=0),
)
ARGUMENT_SPEC.update(API_ARGUMENT_SPEC)


def read_when_up(read, wait, clock=time.monotonic, sleep=time.sleep):
    """``read()``, retried while the API refuses connections, for up to ``wait`` seconds.

    A node that has just started opens its management listener last; any
    other error (an HTTP status: bad password, missing permission; a TLS
    refusal: no or an unknown client certificate, an unverified server
    certificate) is raised at once.
    """
    deadline = clock() + max(0, wait)
    while True:
        try:
            return read()
        except ApiError as exc:
            if exc.status is not None or exc.hint is not None or clock() >= deadline:
                raise
        sleep(1)


class DefinitionsModule(AnsibleModule):
    """AnsibleModule that logs a summary of its arguments (a count per kind), not every declared object."""

    def _log_invocation(self):
        self.log("Invoked with %s" % json.dumps(invocation(self.params), sort_keys=True))


def invocation(params):
    """The arguments as the result shows them: every option, each kind's list as its length.

    AnsibleModule would echo the arguments whole (at 1000 objects per kind,
    about 600 KB per run); every declared object that changed is in
    ``changes`` (and ``diff``). Secrets are masked like AnsibleModule masks them.
    """
    shown = dict((name, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" if ARGUMENT_SPEC[name].get("no_log") else value)
                 for name, value in params.items() if name not in KINDS)
    shown.update((kind, "%d entries" % len(params[kind] or [])) for kind in KINDS)
    return shown


def main():
    module = DefinitionsModule(argument_spec=ARGUMENT_SPEC, required_together=API_REQUIRED_TOGETHER,
                               supports_check_mode=True)
    params = module.params
    api = ManagementApi(
        params["api_url"],
        params["api_user"],
        params["api_password"],
        timeout=params["api_timeout"],
        validate_certs=params["validate_certs"],
        ca_path=params["ca_path"],
        client_cert=params["client_cert"],
        client_key=params["client_key"],
        use_proxy=params["use_proxy"],
    )
    desired = dict((kind, params[kind]) for kind in KINDS)
    result = dict(changed=False, changes=[], summary={}, requests=[], api_calls=api.calls, rabbitmq_version=None,
                  invocation=dict(module_args=invocation(params)))
    problems = tls_file_problems(params["ca_path"], params["client_cert"], params["client_key"])
    if problems:
        module.fail_json(msg="TLS files unusable, nothing was changed: %s" % "; ".join(problems), **result)
    if params["min_password_length"] < 0:
        module.fail_json(msg="min_password_length: %d is negative; allowed: 0 (no check) or more"
                         % params["min_password_length"], **result)

    try:
        export, vhost_details = read_when_up(lambda: read_state(api, desired, params["purge"]), params["api_wait"])
        cluster_nodes = read_cluster_nodes(api, desired)
    except ApiError as exc:
        module.fail_json(msg="reading the broker state failed: %s" % exc, **result)
    result["rabbitmq_version"] = export.get("rabbitmq_version") or export.get("rabbit_version")

    planner = planner_for(
        export,
        desired,
        vhost_details=vhost_details,
        purge=params["purge"],
        protected_users=[params["api_user"]] + params["protected_users"],
        recreate_queues=params["recreate_queues"],
        extra_policy_keys=params["extra_policy_keys"],
        extra_user_tags=params["extra_user_tags"],
        min_password_length=params["min_password_length"],
        cluster_nodes=cluster_nodes,
        api_user=params["api_user"],
        api_password=params["api_password"],
    )
    try:
        the_plan = planner.run()
    except DefinitionsError as exc:
        module.fail_json(
            msg="invalid definitions, nothing was changed: %s" % exc, errors=exc.errors, **result
        )

    result.update(
        changed=the_plan.changed,
        changes=the_plan.changes,
        summary=the_plan.summary(),
        requests=[line for step in the_plan.steps() for line in step.lines()],
    )
    for warning in the_plan.warnings:
        module.warn(warning)
    if module._diff:
        result["diff"] = dict(before=the_plan.before, after=the_plan.after)
    if the_plan.changed and not module.check_mode:
        try:
            apply_or_revert(api, the_plan, lambda: revert_plan(planner, *read_state(api, desired, params["purge"])))
        except ApplyFailed as failure:
            msg, fields = failure_report(failure)
            result.update(fields)
            module.fail_json(msg=msg, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
