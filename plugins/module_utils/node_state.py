# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Classify a RabbitMQ node's state from systemd and one ``cluster_status`` call.

Pure functions: callers run the commands and pass their output in, so every
state (running, application stopped, left in maintenance mode, restart loop,
failed, stopped) is unit-tested without a node.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

# rabbitmqctl's exit codes (sysexits): 64 usage (also "the rabbit app is
# not running"), 69 node unavailable, 75 temporary failure/timeout.
APP_STOPPED_MARKER = "requires the 'rabbit' app to be running"

STATES = ("running", "app_stopped", "restart_loop", "failed", "stopped", "unreachable", "not_installed")

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LOG_PREFIX = re.compile(r"^\S+ \S+ \[[a-z]+\] <[^>]*> ?")


def parse_systemctl_show(text):
    """``systemctl show -p A -p B unit`` output as a dict."""
    values = {}
    for line in text.splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def classify(service, cli_rc=None, cli_out="", cli_err="", node=None):
    """(state, cluster_status or None, maintenance flag) of the node.

    ``service``: parsed ``systemctl show`` (ActiveState, SubState, NRestarts,
    LoadState). ``cli_*``: result of ``rabbitmqctl -q cluster_status
    --formatter json`` (None when it was not run because the unit is not
    active).
    """
    if service.get("LoadState") == "not-found":
        return "not_installed", None, False
    active = service.get("ActiveState", "")
    sub = service.get("SubState", "")
    restarts = int(service.get("NRestarts") or 0) if str(service.get("NRestarts") or "0").isdigit() else 0
    if active == "activating" and (sub == "auto-restart" or restarts > 0):
        return "restart_loop", None, False
    if active == "failed":
        return "failed", None, False
    if active != "active":
        # inactive, deactivating, or activating (first boot still going on)
        return ("stopped" if active in ("inactive", "deactivating") else "unreachable"), None, False
    if cli_rc is None:
        return "unreachable", None, False
    if cli_rc != 0:
        if APP_STOPPED_MARKER in (cli_out or "") + (cli_err or ""):
            return "app_stopped", None, False
        return "unreachable", None, False
    try:
        status = json.loads(cli_out)
    except ValueError:
        return "unreachable", None, False
    if node and node not in status.get("running_nodes", []):
        return "app_stopped", status, False
    return "running", status, maintenance(status, node)


def maintenance(status, node):
    """Whether cluster_status says ``node`` is under maintenance (drained)."""
    value = (status.get("maintenance_status") or {}).get(node, "") if node else ""
    value = _ANSI.sub("", str(value)).strip().lower()
    return bool(value) and not value.startswith("not under maintenance")


def client_listeners(status, node):
    """``(addresses, port, protocol)`` of ``node``'s client listeners in a
    cluster_status, i.e. all but inter-node clustering. A wildcard interface is
    reached through the loopback addresses, a specific one directly."""
    found = []
    for listener in (status.get("listeners") or {}).get(node, []) if node else []:
        if not isinstance(listener, dict) or listener.get("protocol") == "clustering":
            continue
        try:
            port = int(listener.get("port"))
        except (TypeError, ValueError):
            continue
        interface = str(listener.get("interface") or "").strip("[]")
        addresses = ["127.0.0.1", "::1"] if interface in ("", "::", "0.0.0.0") else [interface]
        found.append((addresses, port, str(listener.get("protocol") or "")))
    return found


def closed_client_listeners(status, node, can_connect):
    """``["amqp 5672", ...]`` when the node has client listeners and every one
    of them refuses connections, else ``[]``.

    A drained node keeps its listeners registered (cluster_status lists them)
    but suspended. The drain's mark in the metadata store can lag: a node
    drained while its cluster had no majority (Khepri) is not reported "under
    maintenance" until the majority is back, while its listeners are already
    closed. ``can_connect(address, port)`` tries one TCP connection."""
    listeners = client_listeners(status, node)
    if not listeners:
        return []
    for addresses, port, _protocol in listeners:
        if any(can_connect(address, port) for address in addresses):
            return []
    return ["%s %d" % (protocol, port) for _addresses, port, protocol in listeners]


# POSIX and inet error atoms that name the cause in a boot failure.
_CAUSE = re.compile(r"\b(eaddrinuse|eaddrnotavail|eacces|eperm|enoent|enospc|emfile|econnrefused|ehostunreach|"
                    r"enetunreach|nxdomain|timeout|badarg|bad_certificate|invalid_config)\b")


def boot_error(node_log, error_log, limit=400):
    """The node's own account of why it did not boot, condensed to one line.

    From the node log: the last ``BOOT FAILED`` block (its error lines, with
    timestamps cut); otherwise, from the unit's stderr file, the last
    "Runtime terminating during boot" line. Prefixed with the cause when an
    error atom such as eaddrinuse names it.
    """
    parts = []
    lines = (node_log or "").splitlines()
    start = max((i for i, line in enumerate(lines) if "BOOT FAILED" in line), default=None)
    if start is not None:
        block = []
        for line in lines[start + 1:]:
            if "[error]" not in line:
                break
            block.append(_LOG_PREFIX.sub("", line).strip())
        text = " ".join(part for part in block if part and set(part) != set("="))
        if text:
            parts.append(" ".join(text.split()))
    terminating = [line for line in (error_log or "").splitlines() if "Runtime terminating during boot" in line]
    if terminating and not parts:
        parts.append(terminating[-1].strip())
    if not parts:
        return ""
    causes = sorted(set(_CAUSE.findall(parts[0])))
    text = parts[0] if len(parts[0]) <= limit else parts[0][:limit] + "..."
    return ("[%s] " % ", ".join(causes) if causes else "") + text
