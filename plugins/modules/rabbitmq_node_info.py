#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: rabbitmq_node_info
short_description: The state of the local RabbitMQ node, from systemd and one CLI call
version_added: 1.0.0
description:
  - Reads the service unit's state (C(systemctl show)) and, when the unit is
    active, the node's view of its cluster - over the node's management API
    with O(api_url) and O(api_password) (RabbitMQ 3.13 and later, a few
    requests of milliseconds each), else with C(rabbitmqctl cluster_status
    --formatter json) (one Erlang VM start) - and classifies the node as
    V(running), V(app_stopped) (the service runs but the RabbitMQ application
    was stopped, for example with C(rabbitmqctl stop_app)), V(restart_loop)
    (systemd keeps restarting a node that does not boot), V(failed),
    V(stopped), V(unreachable) (the unit is active but the CLI cannot reach
    the node - still booting, or another Erlang cookie) or V(not_installed).
  - Also reports whether the node is in maintenance mode (drained - listed so by cluster_status, or every
    client listener it lists refuses a local TCP connection) and, for
    nodes that do not boot, the node's own boot error from its logs.
  - And, without running anything else, what the roles check before they
    change a host - the installed package version (C(dpkg-query)), the
    SHA-256 of the Erlang cookie file, the open-file limit the service
    manager (PID 1) can grant, and whether a client certificate and key for
    the management API can be used.
author:
  # ansible-test's validate-modules wants a GitHub handle, "(@name)"; the project has no public
  # account yet, which "(!UNKNOWN)" is the marker for.
  - mqops contributors (!UNKNOWN)
extends_documentation_fragment:
  - mqops.rabbitmq.management_api.optional_login
  - mqops.rabbitmq.users_compared
options:
  node:
    description: Node name. Default C(rabbit@) and the short host name.
    type: str
  service:
    description: Name of the systemd unit.
    type: str
    default: rabbitmq-server
  log_dir:
    description: RabbitMQ's log directory (for the boot error).
    type: path
    default: /var/log/rabbitmq
  boot_error:
    description:
      - Read the boot error from the logs whatever the state (it is always read for V(restart_loop) and
        V(failed)).
    type: bool
    default: false
  timeout:
    description: Seconds the CLI call may take.
    type: int
    default: 30
  package:
    description: Debian package whose installed version is reported.
    type: str
    default: rabbitmq-server
  erlang_package:
    description: Debian package whose installed version is reported as the Erlang version (same C(dpkg-query) call).
    type: str
    default: erlang-base
  cookie_path:
    description: The Erlang cookie file whose SHA-256 is reported (the value never is).
    type: path
    default: /var/lib/rabbitmq/.erlang.cookie
  paths:
    description: Files whose existence is reported in RV(exists), so that a play can skip a task with nothing to do.
    type: list
    elements: path
    default: []
  fingerprints:
    description:
      - Paths reported in RV(fingerprints) - what M(mqops.rabbitmq.rabbitmq_config) compares of them, without
        their contents - so that a play can tell, with P(mqops.rabbitmq.config_in_sync#filter), that the
        configuration is already as declared and skip that module.
    type: list
    elements: path
    default: []
  deprecated_features:
    description:
      - When the node's view of its cluster is read over the API, also list the deprecated features the cluster
        uses (C(/api/deprecated-features/used)) in RV(deprecated_features_used). Never from the CLI (it would
        start an Erlang VM more), so null when the CLI answered.
    type: bool
    default: false
  api_url:
    description:
      - Base URL of the node's own management API, as seen from this host. With O(api_password), a running
        node's view of its cluster is read over it (C(/api/overview), C(/api/nodes), C(/api/feature-flags),
        C(/api/health/checks/alarms)) instead of the CLI.
      - The CLI answers instead when the API is unreachable (the RabbitMQ application stopped, still
        booting), refuses the login, answers for another node than O(node), or cannot tell a drained node
        (RabbitMQ before 3.13); RV(read_from) and RV(api_problem) say which and why.
    type: str
  ca_path:
    description: CA bundle (PEM) that verifies an HTTPS O(api_url).
    type: path
  client_cert:
    description:
      - A client certificate (PEM) for the management API to check, with O(client_key) - the checks the API
        modules make before their first request (see RV(client_files)) - and to present to an HTTPS
        O(api_url) when both can be used.
    type: path
  client_key:
    description: The private key (PEM) of O(client_cert). Only its path is ever shown.
    type: path
attributes:
  check_mode:
    support: full
    description: Read-only.
  diff_mode:
    support: none
    description: Nothing to compare.
"""

EXAMPLES = r"""
- name: Read the node's state
  mqops.rabbitmq.rabbitmq_node_info:
  register: node

- name: Start the RabbitMQ application if it was stopped
  ansible.builtin.command: rabbitmqctl start_app
  when: node.state == 'app_stopped'
"""

RETURN = r"""
state:
  description: One of V(running), V(app_stopped), V(restart_loop), V(failed), V(stopped), V(unreachable), V(not_installed).
  returned: always
  type: str
  sample: running
node:
  description: The node name used.
  returned: always
  type: str
  sample: rabbit@node1
maintenance:
  description:
    - Whether the node is in maintenance mode (drained) - cluster_status lists it under maintenance, or it
      runs while every client listener it lists (all but inter-node clustering) refuses connections - a drain
      whose mark the metadata store has not committed yet (Khepri without a majority) closes the listeners
      first.
  returned: always
  type: bool
maintenance_evidence:
  description:
    - "Why RV(maintenance) is true - V(cluster_status), or C(client listeners closed) with the listeners, e.g.
      C(client listeners closed: amqp 5672, http 15672); empty when it is false."
  returned: always
  type: str
  sample: "client listeners closed: amqp 5672, http 15672"
service:
  description: The unit's C(ActiveState), C(SubState), C(NRestarts), C(LoadState) and C(UnitFileState).
  returned: always
  type: dict
cluster_status:
  description:
    - The running node's view of its cluster, else null - C(rabbitmqctl cluster_status --formatter json), or
      from the API the keys the roles read (C(disk_nodes), C(ram_nodes), C(running_nodes), C(alarms),
      C(maintenance_status), C(listeners), C(feature_flags), C(partitions), C(cluster_name), and C(versions) of
      the serving node only).
  returned: always
  type: dict
deprecated_features_used:
  description:
    - With O(deprecated_features), the names of the deprecated features the cluster uses (empty when none),
      read over the API; null when they were not read (the CLI answered, or the request failed).
  returned: always
  type: list
  elements: str
  sample: [transient_nonexcl_queues]
read_from:
  description: Where RV(cluster_status) came from - V(api), V(cli), or empty when the node was not read.
  returned: always
  type: str
  sample: api
api_problem:
  description: Why the API was given but the CLI answered; empty otherwise.
  returned: always
  type: str
  sample: "GET /api/overview: HTTP 401: Login failed"
boot_error:
  description: The node's boot error from its logs (condensed), when read.
  returned: always
  type: str
cli_error:
  description: What the CLI said when it could not read the cluster status.
  returned: always
  type: str
package_version:
  description: Installed version of O(package), empty when it is not installed.
  returned: always
  type: str
  sample: 4.0.5-6+deb13u2
erlang_version:
  description: Installed version of O(erlang_package), empty when it is not installed.
  returned: always
  type: str
  sample: 1:27.3.4.1+dfsg-1+deb13u1
cookie_sha256:
  description: SHA-256 of the cookie file, empty when there is none.
  returned: always
  type: str
plugins:
  description:
    - The plugins the installed RabbitMQ ships (from its plugins directory, no CLI call), sorted; empty
      when it is not installed.
  returned: always
  type: list
  elements: str
  sample: [rabbitmq_federation, rabbitmq_management, rabbitmq_shovel]
nofile:
  description:
    - C(hard) - PID 1's hard limit of open files (a number or V(unlimited));
      C(can_raise) - whether PID 1 holds C(CAP_SYS_RESOURCE), so it can grant services more.
  returned: always
  type: dict
  sample: {hard: "20000", can_raise: false}
exists:
  description: For each of O(paths), whether it exists.
  returned: always
  type: dict
  sample: {/etc/apt/preferences.d/rabbitmq: false}
users_unchanged:
  description:
    - Whether the users of O(users) are as declared (password, tags, permissions; those declared absent
      absent), read over the API. False when they differ, when O(users) is empty, or when the API did not
      answer (the CLI read the node).
  returned: always
  type: bool
  sample: true
fingerprints:
  description:
    - For each of O(fingerprints), C(kind) (V(file), V(directory) or null when nothing is there), C(owner),
      C(group), C(mode) (an integer) and, for a file, C(sha256) of its contents.
  returned: always
  type: dict
  sample: {/etc/rabbitmq/rabbitmq.conf: {kind: file, owner: root, group: rabbitmq, mode: 416, sha256: "9f86d0..."}}
client_files:
  description:
    - What makes O(client_cert) or O(client_key) unusable - missing, unreadable, not PEM, an encrypted key, or a
      key that is not the certificate's; empty when they can be used or were not given. C(option) is
      V(client_cert) or V(client_key), C(path) the file, C(problem) what is wrong (never the file's contents).
  returned: always
  type: list
  elements: dict
  sample: [{option: client_key, path: /etc/mqops/api-client/key.pem, problem: no such file}]
"""

import copy
import hashlib
import json
import os
import socket

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mqops.rabbitmq.plugins.module_utils import config_check, config_files, node_state
from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import (
    OPTIONAL_API_ARGUMENT_SPEC,
    ApiError,
    ManagementApi,
    tls_file_findings,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.node_health import NodeHealth
from ansible_collections.mqops.rabbitmq.plugins.module_utils.options import spec
from ansible_collections.mqops.rabbitmq.plugins.module_utils.user_options import COMPARED_USERS_OPTION
from ansible_collections.mqops.rabbitmq.plugins.module_utils.users_plan import read_over_api, unchanged


def _read(path, tail_bytes=200000):
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - tail_bytes))
            return handle.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return ""


def _read_all(path):
    """A small file read whole (procfs files report a size of 0)."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return ""


def _dpkg_versions(module, *packages):
    """{package: installed version} in one dpkg-query call ("" when not installed)."""
    versions = dict((name, "") for name in packages)
    dpkg = module.get_bin_path("dpkg-query")
    if not dpkg:
        return versions
    # rc is 1 when one of the packages is unknown; the others are still listed.
    _rc, out, _err = module.run_command([dpkg, "--show", "--showformat=${Package} ${db:Status-Status} ${Version}\n"]
                                        + list(packages))
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in versions and parts[1] == "installed":
            versions[parts[0]] = parts[2]
    return versions


def _sha256(path):
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except (IOError, OSError):
        return ""


def shipped_plugins(names):
    """Plugin names from the entries of a plugins directory (name-version[.ez])."""
    plugins = set()
    for entry in names:
        base = entry[:-3] if entry.endswith(".ez") else entry
        name, sep, version = base.rpartition("-")
        if sep and version[:1].isdigit() and name.startswith("rabbitmq_") and name != "rabbitmq_prelaunch":
            plugins.add(name)
    return sorted(plugins)


def pid1_nofile(limits_text, status_text):
    """(hard limit, can raise) of PID 1 from /proc/1/limits and /proc/1/status."""
    hard = ""
    for line in limits_text.splitlines():
        if line.startswith("Max open files"):
            hard = line.split()[4]
    can_raise = False
    for line in status_text.splitlines():
        if line.startswith("CapEff:"):
            can_raise = bool(int(line.split()[1], 16) >> 24 & 1)  # CAP_SYS_RESOURCE is bit 24
    return dict(hard=hard, can_raise=can_raise)


def _can_connect(address, port, timeout=2):
    try:
        socket.create_connection((address, port), timeout=timeout).close()
        return True
    except (OSError, ValueError):
        return False


def _status_over_api(params, node, client_files):
    """(the node's view of its cluster over its management API or None, why not, whether the users of
    ``params["users"]`` are as declared) - None sends the caller to the CLI: no API given, TLS files that cannot
    be used, the API unreachable or refusing, answering for another node, or too old to tell a drained node."""
    if not (params["api_url"] and params["api_password"]):
        return None, "", False
    https = params["api_url"].lower().startswith("https://")
    unusable = tls_file_findings(ca_path=params["ca_path"]) + (client_files if https else [])
    if unusable:
        return None, "; ".join("%(option)s %(path)s: %(problem)s" % finding for finding in unusable), False
    use_cert = https and params["client_cert"] and params["client_key"]
    api = ManagementApi(params["api_url"], params["api_user"], params["api_password"], timeout=params["api_timeout"],
                        ca_path=params["ca_path"] if https else None,
                        client_cert=params["client_cert"] if use_cert else None,
                        client_key=params["client_key"] if use_cert else None, use_proxy=False)
    health = NodeHealth(api, cli=None, node=node)
    status = health.full_status_over_api(deprecated=params["deprecated_features"])
    if status is None:
        return None, health.api_problem or health.api_error or "no answer", False
    users_unchanged = False
    if params["users"]:
        try:
            users_unchanged = unchanged(read_over_api(api), params["users"])
        except ApiError:
            pass
    return status, "", users_unchanged


def main():
    module = AnsibleModule(
        argument_spec=dict(
            node=dict(type="str"),
            service=dict(type="str", default="rabbitmq-server"),
            log_dir=dict(type="path", default="/var/log/rabbitmq"),
            boot_error=dict(type="bool", default=False),
            timeout=dict(type="int", default=30),
            package=dict(type="str", default="rabbitmq-server"),
            erlang_package=dict(type="str", default="erlang-base"),
            cookie_path=dict(type="path", default="/var/lib/rabbitmq/.erlang.cookie"),
            paths=dict(type="list", elements="path", default=[]),
            fingerprints=dict(type="list", elements="path", default=[]),
            deprecated_features=dict(type="bool", default=False),
            ca_path=dict(type="path"),
            client_cert=dict(type="path"),
            # A path, not the key itself.
            client_key=dict(type="path", no_log=False),
            users=spec({"users": COMPARED_USERS_OPTION})["users"],
            # The node's own API, optional (api_url, api_user, api_password, api_timeout).
            **copy.deepcopy(OPTIONAL_API_ARGUMENT_SPEC)
        ),
        supports_check_mode=True,
    )
    node = module.params["node"] or "rabbit@" + socket.gethostname().split(".")[0]
    systemctl = module.get_bin_path("systemctl", required=True)
    rc, out, err = module.run_command([systemctl, "show", "-p", "ActiveState", "-p", "SubState", "-p", "NRestarts",
                                       "-p", "LoadState", "-p", "UnitFileState", module.params["service"]])
    if rc != 0:
        module.fail_json(msg="systemctl show %s failed: %s" % (module.params["service"], err or out))
    service = node_state.parse_systemctl_show(out)
    cli = (None, "", "")
    read_from, api_problem, deprecated, users_unchanged = "", "", None, False
    client_files = tls_file_findings(client_cert=module.params["client_cert"], client_key=module.params["client_key"])
    rabbitmqctl = module.get_bin_path("rabbitmqctl")
    if service.get("ActiveState") == "active" and rabbitmqctl:
        api_status, api_problem, users_unchanged = _status_over_api(module.params, node, client_files)
        if api_status is not None:
            deprecated = api_status.pop("deprecated_features_used", None)
            cli, read_from = (0, json.dumps(api_status), ""), "api"
        else:
            cli, read_from = module.run_command([rabbitmqctl, "-q", "-n", node, "-t", str(module.params["timeout"]),
                                                 "cluster_status", "--formatter", "json"]), "cli"
    elif not rabbitmqctl and service.get("LoadState") != "not-found":
        service["LoadState"] = "not-found"
    state, status, maintenance = node_state.classify(service, cli[0], cli[1], cli[2], node)
    evidence = "cluster_status" if maintenance else ""
    if state == "running" and not maintenance:
        closed = node_state.closed_client_listeners(status, node, _can_connect)
        if closed:
            maintenance, evidence = True, "client listeners closed: " + ", ".join(closed)
    installed = _dpkg_versions(module, module.params["package"], module.params["erlang_package"])
    result = dict(changed=False, state=state, node=node, maintenance=maintenance, maintenance_evidence=evidence,
                  service=service,
                  cluster_status=status, read_from=read_from, api_problem=api_problem, boot_error="", cli_error="",
                  deprecated_features_used=deprecated, users_unchanged=users_unchanged,
                  package_version=installed[module.params["package"]],
                  erlang_version=installed[module.params["erlang_package"]],
                  cookie_sha256=_sha256(module.params["cookie_path"]),
                  nofile=pid1_nofile(_read_all("/proc/1/limits"), _read_all("/proc/1/status")),
                  plugins=[],
                  exists=dict((path, os.path.lexists(path)) for path in module.params["paths"]),
                  fingerprints=dict((path, config_files.fingerprint(path)) for path in module.params["fingerprints"]),
                  client_files=client_files)
    plugins_dir = config_check.find_plugins_dir()
    if result["package_version"] and plugins_dir:
        result["plugins"] = shipped_plugins(os.listdir(plugins_dir))
    if cli[0] not in (None, 0):
        result["cli_error"] = " ".join((cli[2] or cli[1]).split())[:500]
    if module.params["boot_error"] or state in ("restart_loop", "failed"):
        name = node.split("@")[0] + "@" + node.split("@")[-1]
        result["boot_error"] = node_state.boot_error(
            _read(os.path.join(module.params["log_dir"], name + ".log")),
            _read(os.path.join(module.params["log_dir"], "rabbitmq-server.error.log")),
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
