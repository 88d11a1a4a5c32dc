# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""What a safe restart waits on, read over the node's management API when it answers, else the CLI.

Each RabbitMQ CLI call boots an Erlang VM (about a second on a small host);
the management API answers the same questions in milliseconds:

========================  ===============================================  ==============================================
check                     management API (the node serving the request)    CLI fallback
========================  ===============================================  ==============================================
cluster state             GET /api/nodes, /api/health/checks/alarms and    rabbitmqctl cluster_status --formatter json
                          /api/overview
quorum_plus_one           GET /api/health/checks/node-is-quorum-critical   rabbitmq-diagnostics check_if_node_is_quorum_critical
mirror_sync (3.x)         GET /api/health/checks/node-is-mirror-sync-...   rabbitmq-diagnostics check_if_node_is_mirror_sync_critical
virtual_hosts             GET /api/health/checks/virtual-hosts             rabbitmq-diagnostics check_virtual_hosts
listeners                 the node's listeners (GET /api/overview), each   rabbitmq-diagnostics check_port_connectivity
                          connected to over TCP
deprecated features used  GET /api/deprecated-features/used (3.13+)        rabbitmq-diagnostics
                                                                           check_if_any_deprecated_features_are_used
========================  ===============================================  ==============================================

The API is used only when the node serving it is the node asked about
(``node``, as the CLI would address it): an API URL that reaches another
member (a shared name, a load balancer) would answer for that member, so
the first request checks ``/api/overview``'s ``node`` and, on a mismatch,
the whole run goes to the CLI.

A health check endpoint answers 503 when its check fails: that is a
"not yet", not a reason to use the CLI. Any other failure of the API (no
listener yet, a login the broker refuses, an endpoint an old version lacks,
a TLS error) makes that one check go through the CLI; a refused login or a
missing endpoint switch the rest of the run to the CLI.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket

from ansible_collections.mqops.rabbitmq.plugins.module_utils import versions
from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import ApiError

CHECKS = ("quorum_plus_one", "mirror_sync", "virtual_hosts", "listeners")

API_CHECKS = {
    "quorum_plus_one": "/api/health/checks/node-is-quorum-critical",
    "mirror_sync": "/api/health/checks/node-is-mirror-sync-critical",
    "virtual_hosts": "/api/health/checks/virtual-hosts",
}

CLI_CHECKS = {
    "quorum_plus_one": ("rabbitmq-diagnostics", "check_if_node_is_quorum_critical"),
    "mirror_sync": ("rabbitmq-diagnostics", "check_if_node_is_mirror_sync_critical"),
    "virtual_hosts": ("rabbitmq-diagnostics", "check_virtual_hosts"),
    "listeners": ("rabbitmq-diagnostics", "check_port_connectivity"),
}

CLUSTER_STATUS = ("rabbitmqctl", "cluster_status", "--formatter", "json")

DEPRECATED_USED_API = "/api/deprecated-features/used"
DEPRECATED_USED_CLI = ("rabbitmq-diagnostics", "check_if_any_deprecated_features_are_used", "--formatter", "json")

# API failures that will not go away within a run: the CLI answers from then on.
_LASTING = (401, 403, 404, 405)

_ANY_ADDRESS = {"0.0.0.0": ("127.0.0.1",), "::": ("127.0.0.1", "::1")}


class HealthError(Exception):
    """The node could not be read at all (API and CLI both failed)."""


def tcp_connect(host, port, timeout=2.0):
    """True when a TCP connection to (host, port) is accepted."""
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except (OSError, socket.timeout):
        return False


def status_from_api(nodes, alarms, overview):
    """The parts of ``cluster_status --formatter json`` a restart reads.

    Members with their type and the running ones as the serving node sees
    them (GET /api/nodes?disable_stats=true: from the metadata store, not
    from statistics), the resource alarms in effect in the cluster (GET
    /api/health/checks/alarms, read live: the alarm flags of /api/nodes come
    from statistics emitted every few seconds and lag behind), and the
    versions of the serving node only (the API does not give the others').
    """
    nodes = nodes or []
    return {
        "disk_nodes": [n["name"] for n in nodes if n.get("type", "disc") != "ram"],
        "ram_nodes": [n["name"] for n in nodes if n.get("type") == "ram"],
        "running_nodes": [n["name"] for n in nodes if n.get("running")],
        "alarms": alarms,
        "versions": {
            overview.get("node", ""): {
                "rabbitmq_version": overview.get("rabbitmq_version", ""),
                "erlang_version": overview.get("erlang_version", ""),
            }
        },
    }


def tells_drained(nodes):
    """Whether GET /api/nodes says which nodes are drained (``being_drained``: RabbitMQ 3.13 and later)."""
    return bool(nodes) and all("being_drained" in entry for entry in nodes)


def full_status_from_api(nodes, alarms, overview, feature_flags, node_stats):
    """``cluster_status --formatter json`` as far as the roles read it, from the API; None when the API
    cannot tell a drained node (``being_drained`` in /api/nodes: RabbitMQ 3.13 and later).

    status_from_api's keys, plus ``maintenance_status`` (from ``being_drained``), ``listeners`` per node
    (GET /api/overview: every node's, as cluster_status lists them), ``feature_flags`` (GET
    /api/feature-flags: the same list the CLI prints), ``partitions`` (GET /api/nodes with statistics, the
    nodes each node cannot reach; emitted every few seconds) and ``cluster_name``.
    """
    if not tells_drained(nodes):
        return None
    status = status_from_api(nodes, alarms, overview)
    status["maintenance_status"] = dict(
        (entry["name"], "under maintenance" if entry.get("being_drained") else "not under maintenance")
        for entry in nodes)
    listeners = dict((entry["name"], []) for entry in nodes)
    for entry in overview.get("listeners") or []:
        listeners.setdefault(entry.get("node"), []).append(
            {"interface": entry.get("ip_address"), "port": entry.get("port"), "protocol": entry.get("protocol")})
    status["listeners"] = listeners
    status["feature_flags"] = [dict((key, flag.get(key)) for key in ("name", "state", "stability", "desc"))
                               for flag in feature_flags or []]
    status["partitions"] = dict((entry["name"], entry["partitions"]) for entry in node_stats or []
                                if entry.get("partitions"))
    status["cluster_name"] = overview.get("cluster_name", "")
    return status


def listener_addresses(listener):
    """Where to connect to a listener: its own address, or loopback for a wildcard one."""
    address = listener.get("ip_address") or "0.0.0.0"
    return _ANY_ADDRESS.get(address, (address,))


def deprecated_names(text):
    """Feature names in the JSON a failed ``check_if_any_deprecated_features_are_used --formatter json``
    prints (on stderr); None when the text is not that JSON (an unknown command, an unreachable node)."""
    try:
        document = json.loads(text.strip())
    except ValueError:
        return None
    names = document.get("deprecated_features") if isinstance(document, dict) else None
    return sorted(str(name) for name in names) if isinstance(names, list) else None


class NodeHealth(object):
    """Reads and checks one node: ``api`` a ManagementApi (or None: CLI only),
    ``cli(tool, *args)`` returns (rc, stdout, stderr), ``node`` the node's name
    (the API is used only when it serves that node; None: not checked)."""

    def __init__(self, api, cli, connect=tcp_connect, node=None):
        self.api = api
        self.cli = cli
        self.connect = connect
        self.node = node
        self.read_from = set()
        self.api_problem = None
        # The last failed request, lasting or not.
        self.api_error = None
        self._serving_checked = node is None

    def _api_usable(self):
        if self.api is None or self.api_problem is not None:
            return False
        if not self._serving_checked:
            try:
                serving = (self.api.get("/api/overview") or {}).get("node")
            except ApiError as exc:
                self._api_failed(exc)
                return False
            self._serving_checked = True
            if serving != self.node:
                self.api_problem = "the management API answers for %s, not %s" % (serving, self.node)
                return False
        return True

    def _api_failed(self, exc):
        """Note why the API did not answer; a lasting failure sends the rest of the run to the CLI."""
        self.api_error = str(exc)
        if exc.status in _LASTING:
            self.api_problem = str(exc)

    def cluster_status(self):
        """The node's view of its cluster (see status_from_api), over the API or from the CLI."""
        if self._api_usable():
            try:
                status = status_from_api(self.api.get("/api/nodes?disable_stats=true"), self._alarms_over_api(),
                                         self.api.get("/api/overview") or {})
                self.read_from.add("api")
                return status
            except ApiError as exc:
                self._api_failed(exc)
        rc, out, err = self.cli(*CLUSTER_STATUS)
        self.read_from.add("cli")
        if rc != 0:
            raise HealthError("rabbitmqctl cluster_status failed (rc=%s): %s" % (rc, (err or out).strip()))
        try:
            return json.loads(out)
        except ValueError:
            raise HealthError("rabbitmqctl cluster_status did not print JSON: %s" % out.strip()[:300])

    def full_status_over_api(self, deprecated=False):
        """The node's full view of its cluster over the API (full_status_from_api), or None when the API is
        not given, does not answer for the node, or cannot tell a drained node: the caller asks the CLI.
        With ``deprecated``, its ``deprecated_features_used`` key lists the deprecated features the cluster
        uses (None when that request failed; never from the CLI)."""
        if not self._api_usable():
            return None
        try:
            nodes = self.api.get("/api/nodes?disable_stats=true")
            if not tells_drained(nodes):
                self.api_problem = "the management API does not say which nodes are drained (RabbitMQ before 3.13)"
                return None
            status = full_status_from_api(nodes, self._alarms_over_api(), self.api.get("/api/overview") or {},
                                          self.api.get("/api/feature-flags"),
                                          self.api.get("/api/nodes?columns=name,partitions"))
        except ApiError as exc:
            self._api_failed(exc)
            return None
        self.read_from.add("api")
        if deprecated:
            try:
                status["deprecated_features_used"] = self._deprecated_over_api()
            except ApiError as exc:
                self.api_error = str(exc)
                status["deprecated_features_used"] = None
        return status

    def _deprecated_over_api(self):
        """Names of the deprecated features the cluster uses, from GET /api/deprecated-features/used."""
        return sorted(entry.get("name", "") for entry in self.api.get(DEPRECATED_USED_API) or [])

    def _alarms_over_api(self):
        """The resource alarms in effect in the cluster: [] when the check passes, else what it lists."""
        try:
            self.api.get("/api/health/checks/alarms")
            return []
        except ApiError as exc:
            if exc.status != 503:
                raise
            listed = (exc.document or {}).get("alarms") if isinstance(exc.document, dict) else None
            if not listed:
                return [{"reason": exc.reason or "alarms in effect"}]
            return [dict(alarm, type="resource_alarm") if isinstance(alarm, dict) else {"alarm": alarm}
                    for alarm in listed]

    def _listeners_over_api(self):
        """None when every listener of the serving node accepts a connection, else what does not."""
        overview = self.api.get("/api/overview") or {}
        node = overview.get("node")
        listeners = [entry for entry in overview.get("listeners") or [] if entry.get("node") == node]
        if not listeners:
            return "the node lists no listener yet"
        closed = ["%s (port %s)" % (entry.get("protocol"), entry.get("port")) for entry in listeners
                  if not any(self.connect(address, int(entry["port"])) for address in listener_addresses(entry))]
        return ("no connection to %s" % ", ".join(closed)) if closed else None

    def deprecated_features_used(self):
        """Names of the deprecated features the cluster uses ([] when none), over the API or from the CLI."""
        if self._api_usable():
            try:
                used = self._deprecated_over_api()
                self.read_from.add("api")
                return used
            except ApiError as exc:
                self._api_failed(exc)
        rc, out, err = self.cli(*DEPRECATED_USED_CLI)
        self.read_from.add("cli")
        if rc == 0:
            return []
        names = deprecated_names(err) or deprecated_names(out)
        if not names:
            raise HealthError("%s failed (rc=%s): %s" % (" ".join(DEPRECATED_USED_CLI), rc, (err or out).strip()[:300]))
        return names

    def check(self, name):
        """None when the check passes, else why it does not (yet)."""
        if self._api_usable():
            try:
                if name == "listeners":
                    problem = self._listeners_over_api()
                else:
                    self.api.get(API_CHECKS[name])
                    problem = None
                self.read_from.add("api")
                return problem
            except ApiError as exc:
                if exc.status == 503:
                    self.read_from.add("api")
                    return exc.reason or "the check failed"
                self._api_failed(exc)
        rc, out, err = self.cli(*CLI_CHECKS[name])
        self.read_from.add("cli")
        return None if rc == 0 else ((err or out).strip() or "%s failed (rc=%s)" % (" ".join(CLI_CHECKS[name]), rc))


def waiting_for(status, running=(), no_alarms=False):
    """What the cluster state still lacks: nodes not listed as running, resource alarms."""
    reasons = []
    missing = sorted(set(running) - set(status.get("running_nodes") or []))
    if missing:
        reasons.append("not listed as running: %s" % ", ".join(missing))
    alarms = status.get("alarms") or []
    if no_alarms and alarms:
        reasons.append("resource alarm(s): %s" % ", ".join(json.dumps(alarm, sort_keys=True) for alarm in alarms))
    return reasons


def guards_from(status, node):
    """A rolling restart's guards from one cluster state: members, those down, alarms, whether they
    passed, whether the checks should run (not when a guard failed or the node is alone) and the major
    RabbitMQ version of ``node`` (of the first node listed when ``node`` is not; 0 when unknown)."""
    members = list(status.get("disk_nodes") or []) + list(status.get("ram_nodes") or [])
    running = set(status.get("running_nodes") or [])
    down = [member for member in members if member not in running]
    alarms = list(status.get("alarms") or [])
    passed = not down and not alarms
    listed = status.get("versions") or {}
    version = (listed.get(node) or next(iter(listed.values()), {}) or {}).get("rabbitmq_version")
    major = (versions.upstream(version) or (0,))[0]
    return dict(members=members, down=down, alarms=alarms, passed=passed,
                checked=passed and len(members) > 1, major=major)
