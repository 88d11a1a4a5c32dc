# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Sending a plan to the broker through a ManagementApi."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import ApiError, api_path


def apply(api, the_plan):
    """Send the plan's requests: pre-import deletions, the import, deletions."""
    for method, path, body in the_plan.pre_requests:
        if method == "DELETE_IF_EMPTY":
            _delete_if_empty(api, path)
        else:
            api.request(method, path, body)
    if the_plan.imports:
        api.post(api_path("definitions"), the_plan.document)
    for _order, method, path, body in sorted(the_plan.post_requests, key=lambda r: r[0]):
        if method == "DELETE_BINDING":
            _delete_binding(api, path)
            continue
        try:
            api.request(method, path, body)
        except ApiError as exc:
            if exc.status != 404:  # already gone
                raise


def _delete_if_empty(api, key):
    """Delete a quorum queue or stream after checking it holds no message."""
    path = api_path("queues", *key)
    details = api.get(path) or {}
    count = sum(int(details.get(field) or 0) for field in ("messages", "messages_ready", "messages_unacknowledged"))
    if count:
        raise ApiError(
            "DELETE", path, 400,
            "queue %r in vhost %r is not empty (%s messages): not re-created" % (key[1], key[0], details.get("messages")),
        )
    api.delete(path)


def _delete_binding(api, key):
    vhost, source, dtype, destination, routing_key, arguments = key
    listing = api.get(api_path("bindings", vhost, "e", source, "q" if dtype == "queue" else "e", destination))
    wanted = json.loads(arguments)
    for binding in listing or []:
        if binding.get("routing_key") == routing_key and (binding.get("arguments") or {}) == wanted:
            api.delete(
                api_path("bindings", vhost, "e", source, "q" if dtype == "queue" else "e", destination,
                         binding["properties_key"])
            )
            return
