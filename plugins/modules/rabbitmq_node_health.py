#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rabbitmq_node_health
short_description: Wait until the local RabbitMQ node passes health checks, over its management API where it answers
version_added: 1.0.0
description:
  - Reads the local node's view of its cluster and runs the health checks a
    safe restart waits on - the node is not critical for any quorum queue's
    majority (and, on RabbitMQ 3.x, any mirrored queue's synchronised
    mirrors), its virtual hosts run, its listeners accept connections - and,
    with O(timeout), waits until every one passes and every node in
    O(running) is listed as running (and, with O(no_alarms), no resource
    alarm is in effect).
  - Over the node's management API when O(api_url) and O(api_password) are
    given (C(/api/nodes), C(/api/overview) and C(/api/health/checks/...), read live, not from statistics,
    milliseconds each), else with the RabbitMQ CLI tools (each call boots an
    Erlang VM, about a second). A check whose request fails for another
    reason than the check itself (no listener yet, a refused login, an
    endpoint the version lacks, a TLS failure) goes through the CLI;
    RV(read_from) says which was used.
  - The API is used only when it answers for the node asked about (O(node)). An O(api_url) that reaches
    another node (a shared name, a load balancer) would answer for that node, so the first request reads
    C(/api/overview) and, when it names another node, every answer comes from the CLI.
  - With O(deprecated_features), also lists the deprecated features the cluster uses (RabbitMQ 3.13 and
    later; C(/api/deprecated-features/used) or C(check_if_any_deprecated_features_are_used)).
  - Read-only; never reports a change.
author:
  - mqops contributors (!UNKNOWN)
extends_documentation_fragment:
  - mqops.rabbitmq.management_api.optional_login
  - mqops.rabbitmq.management_api.tls
options:
  checks:
    description:
      - V(quorum_plus_one) - the node can go without taking a quorum queue below its majority
        (C(node-is-quorum-critical), C(check_if_node_is_quorum_critical)).
      - V(mirror_sync) - RabbitMQ 3.x, the node can go without taking a mirrored classic queue's last
        synchronised mirror (C(node-is-mirror-sync-critical), C(check_if_node_is_mirror_sync_critical)).
      - V(virtual_hosts) - every virtual host runs on the node (C(virtual-hosts), C(check_virtual_hosts)).
      - V(listeners) - every listener of the node accepts a TCP connection (the listeners
        C(/api/overview) lists for the node, C(check_port_connectivity)).
    type: list
    elements: str
    choices: [quorum_plus_one, mirror_sync, virtual_hosts, listeners]
    default: []
  running:
    description:
      - Node names that must be listed as running in the node's view of the cluster.
    type: list
    elements: str
    default: []
  no_alarms:
    description: No memory or disk alarm may be in effect anywhere in the cluster.
    type: bool
    default: false
  status:
    description:
      - Return the node's view of its cluster (RV(cluster_status)); always read with O(running) or
        O(no_alarms).
    type: bool
    default: false
  guards:
    description:
      - The guards of a rolling restart, from one read of the node's view of its cluster made before
        O(checks) (RV(guards), RV(cluster_status)). When a member is not running (quorum guard) or a memory or
        disk alarm is in effect (alarm guard), O(checks) are not run and the module returns at once - it does
        not wait, and does not fail - for the caller to refuse the restart with RV(guards). O(checks) are not
        run either when the cluster has a single member (stopping it stops every queue whatever they say).
      - With it, V(mirror_sync) is not run on RabbitMQ 4.0 and later (mirrored queues are gone; the CLI
        check is a no-op there).
    type: bool
    default: false
  deprecated_features:
    description:
      - Return the deprecated features the cluster uses (RV(deprecated_features_used)), read once (not waited
        on). RabbitMQ 3.13 and later.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait for everything asked to pass, checking again every O(delay) seconds. V(0) checks
        once.
    type: int
    default: 0
  delay:
    description: Seconds between two rounds of checks.
    type: int
    default: 2
  node:
    description:
      - Name of the node checked - the node the CLI tools address, and the node the API must answer for.
        Default C(rabbit@) and the short host name.
    type: str
  api_url:
    description:
      - Base URL of the node's own management API, as seen from the host the module runs on. Without it
        (or without O(api_password)) the CLI tools answer.
    type: str
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing to compare.
notes:
  - The API answers for the node serving the request; with an O(api_url) on another host, the checks are that
    node's.
"""

EXAMPLES = r"""
- name: Wait until the node can be stopped without taking a quorum queue below its majority
  mqops.rabbitmq.rabbitmq_node_health:
    checks: [quorum_plus_one]
    timeout: 300
    api_url: http://127.0.0.1:15672
    api_user: admin
    api_password: "{{ rabbitmq_admin_password }}"

- name: After a restart - listeners open, virtual hosts running, every member running, no alarm
  mqops.rabbitmq.rabbitmq_node_health:
    checks: [listeners, virtual_hosts]
    running: [rabbit@mq1, rabbit@mq2, rabbit@mq3]
    no_alarms: true
    timeout: 120
    api_url: http://127.0.0.1:15672
    api_password: "{{ rabbitmq_admin_password }}"

- name: Refuse a restart while a member is down or an alarm is in effect, else wait until it is safe
  mqops.rabbitmq.rabbitmq_node_health:
    guards: true
    checks: [quorum_plus_one, mirror_sync]
    timeout: 300
    api_url: http://127.0.0.1:15672
    api_password: "{{ rabbitmq_admin_password }}"
  register: before_restart

- name: Refuse
  ansible.builtin.assert:
    that: before_restart.guards.passed
    fail_msg: "Members down: {{ before_restart.guards.down }}; alarms: {{ before_restart.guards.alarms }}"

- name: The node's view of its cluster, from the CLI
  mqops.rabbitmq.rabbitmq_node_health:
    status: true
  register: view
"""

RETURN = r"""
cluster_status:
  description:
    - The node's view of its cluster, with the keys of C(rabbitmqctl cluster_status --formatter json) a
      restart reads - C(disk_nodes), C(ram_nodes), C(running_nodes), C(alarms), C(versions). From the API
      (C(/api/nodes?disable_stats=true), C(/api/health/checks/alarms), C(/api/overview)), C(versions) holds the
      serving node only; from the CLI, the whole output.
  returned: when read (O(status), O(guards), O(running) or O(no_alarms))
  type: dict
  sample: {"disk_nodes": ["rabbit@mq1", "rabbit@mq2"], "ram_nodes": [], "running_nodes": ["rabbit@mq1", "rabbit@mq2"],
           "alarms": [], "versions": {"rabbit@mq1": {"rabbitmq_version": "4.3.6", "erlang_version": "29.1"}}}
guards:
  description:
    - With O(guards), what the guards read - C(members) (every member of the cluster), C(down) (members not
      running), C(alarms) (the alarms in effect, as RV(cluster_status) lists them), C(passed) (neither
      members down nor alarms), C(checked) (whether O(checks) ran - not when a guard failed or the cluster
      has a single member).
  returned: when O(guards) is true
  type: dict
  sample: {"members": ["rabbit@mq1", "rabbit@mq2"], "down": ["rabbit@mq2"], "alarms": [], "passed": false,
           "checked": false}
deprecated_features_used:
  description: Names of the deprecated features the cluster uses; empty when it uses none.
  returned: when O(deprecated_features) is true
  type: list
  elements: str
  sample: [transient_nonexcl_queues]
api_problem:
  description:
    - Why the API stopped being used during the run (a refused login, an endpoint the version lacks, an API
      answering for another node); empty when it was not given or answered throughout.
  returned: always
  type: str
  sample: the management API answers for rabbit@mq2, not rabbit@mq1
read_from:
  description: Where the answers came from - V(api), V(cli), or both when the API did not answer every time.
  returned: always
  type: list
  elements: str
  sample: [api]
rounds:
  description: Rounds of checks made (1 when everything passed at once).
  returned: always
  type: int
  sample: 1
seconds:
  description: Seconds spent.
  returned: always
  type: float
  sample: 0.04
"""

import copy
import socket
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import (
    API_ARGUMENT_SPEC,
    API_REQUIRED_TOGETHER,
    OPTIONAL_API_ARGUMENT_SPEC,
    ManagementApi,
    tls_file_problems,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.node_health import (
    CHECKS,
    HealthError,
    NodeHealth,
    guards_from,
    waiting_for,
)

ARGUMENT_SPEC = dict(
    checks=dict(type="list", elements="str", choices=list(CHECKS), default=[]),
    running=dict(type="list", elements="str", default=[]),
    no_alarms=dict(type="bool", default=False),
    status=dict(type="bool", default=False),
    guards=dict(type="bool", default=False),
    deprecated_features=dict(type="bool", default=False),
    timeout=dict(type="int", default=0),
    delay=dict(type="int", default=2),
    node=dict(type="str"),
)
# The local node's API, optional.
ARGUMENT_SPEC.update(copy.deepcopy(OPTIONAL_API_ARGUMENT_SPEC))
# TLS and proxy options as every management API module has them.
ARGUMENT_SPEC.update((name, copy.deepcopy(API_ARGUMENT_SPEC[name]))
                     for name in ("validate_certs", "ca_path", "client_cert", "client_key", "use_proxy"))


def cli_runner(module, node):
    """cli(tool, *args) -> (rc, stdout, stderr) with the node's name and quiet output."""
    def run(tool, *args):
        cmd = [module.get_bin_path(tool, required=True), "-q"] + (["-n", node] if node else []) + list(args)
        return module.run_command(cmd)
    return run


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_together=API_REQUIRED_TOGETHER,
                           supports_check_mode=True)
    params = module.params
    if params["timeout"] < 0 or params["delay"] < 1:
        module.fail_json(msg="timeout must be 0 or more and delay 1 or more (got timeout=%s, delay=%s)"
                         % (params["timeout"], params["delay"]))

    api = None
    if params["api_url"] and params["api_password"]:
        problems = tls_file_problems(params["ca_path"], params["client_cert"], params["client_key"])
        if problems:
            module.fail_json(msg="TLS files unusable: %s" % "; ".join(problems))
        api = ManagementApi(params["api_url"], params["api_user"], params["api_password"], timeout=params["api_timeout"],
                            validate_certs=params["validate_certs"], ca_path=params["ca_path"],
                            client_cert=params["client_cert"], client_key=params["client_key"],
                            use_proxy=params["use_proxy"])
    node = params["node"] or "rabbit@" + socket.gethostname().split(".")[0]
    health = NodeHealth(api, cli_runner(module, params["node"]), node=node)
    # With guards, the status is read once, before the checks (below).
    read_status = (params["status"] and not params["guards"]) or bool(params["running"]) or params["no_alarms"]

    started = time.monotonic()
    deadline = started + params["timeout"]
    checks = params["checks"]
    guards = status = None
    if params["guards"]:
        try:
            status = health.cluster_status()
        except HealthError as exc:
            module.fail_json(msg="The node's view of its cluster is unreadable: %s" % exc,
                             read_from=sorted(health.read_from), api_problem=health.api_problem or "")
        guards = guards_from(status, node)
        if not guards["checked"]:
            checks = []
        elif guards["major"] >= 4:
            checks = [name for name in checks if name != "mirror_sync"]
        del guards["major"]
    rounds = 0
    while True:
        rounds += 1
        pending = []
        try:
            for name in checks:
                problem = health.check(name)
                if problem:
                    pending.append("%s: %s" % (name, problem))
            if read_status:
                status = health.cluster_status()
                pending.extend(waiting_for(status, params["running"], params["no_alarms"]))
        except HealthError as exc:
            pending.append(str(exc))
        if not pending or time.monotonic() + params["delay"] > deadline:
            break
        time.sleep(params["delay"])

    used = None
    if params["deprecated_features"]:
        try:
            used = health.deprecated_features_used()
        except HealthError as exc:
            pending.append(str(exc))

    result = dict(changed=False, read_from=sorted(health.read_from), rounds=rounds,
                  seconds=round(time.monotonic() - started, 2), api_problem=health.api_problem or "")
    if used is not None:
        result["deprecated_features_used"] = used
    if status is not None:
        result["cluster_status"] = status
    if guards is not None:
        result["guards"] = guards
    if pending:
        waited = (" after %d s" % params["timeout"]) if params["timeout"] else ""
        module.fail_json(msg="The node is not ready%s: %s" % (waited, "; ".join(pending)), pending=pending, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
