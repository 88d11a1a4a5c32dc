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
    update with one C(POST /api/definitions). Deletions, the removal of single
    user limits, clearing topic permissions and re-creating a queue are
    targeted requests, one per object. A run with nothing to change costs one
    request however many objects are declared (two on RabbitMQ before 3.11
    when virtual host descriptions or tags are declared, because those
    exports lack that metadata; one more, C(GET /api/nodes?columns=name),
    when a quorum initial group size above 1 is declared).
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
    number of cluster nodes. The broker version comes from the same export.
  - Objects that are not declared are left alone, unless O(purge) is set for
    their kind.
  - Passwords are compared with the stored salted hash on the managed host;
    the plain password is never sent anywhere, only a new salted hash when it
    changed. Diffs and results never contain passwords or hashes, and
    credentials in URIs are masked.
author:
  - mqops contributors
extends_documentation_fragment:
  - mqops.rabbitmq.management_api
options:
  vhosts:
    description:
      - Virtual hosts.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name.
        type: str
        required: true
      state:
        description: Whether it should exist. Deleting a virtual host deletes everything in it.
        type: str
        choices: [present, absent]
        default: present
      description:
        description: Description. Omit to leave it alone.
        type: str
      tags:
        description: Tags. Omit to leave them alone.
        type: list
        elements: str
      default_queue_type:
        description:
          - Queue type of queues declared without one (RabbitMQ 3.11 and
            later). Omit to leave it alone.
        type: str
        choices: [classic, quorum, stream]
  users:
    description:
      - Users of the internal database.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: User name.
        type: str
        required: true
      state:
        description: Whether the user should exist.
        type: str
        choices: [present, absent]
        default: present
      password:
        description:
          - Plain text password (keep it in a vault). Compared locally with
            the stored salted hash; a new hash is sent only when it differs.
          - Mutually exclusive with O(users[].password_hash).
          - Must have at least O(min_password_length) characters.
        type: str
      password_hash:
        description:
          - Pre-computed RabbitMQ password hash (base64 of a 4-byte salt and
            the digest), for example from C(rabbitmqctl hash_password). An
            empty string creates a user that cannot log in with a password.
        type: str
      hashing_algorithm:
        description: Algorithm of a new hash or of O(users[].password_hash).
        type: str
        choices:
          - rabbit_password_hashing_sha256
          - rabbit_password_hashing_sha512
          - rabbit_password_hashing_md5
        default: rabbit_password_hashing_sha256
      update_password:
        description:
          - V(always) sets the password whenever it does not match;
            V(on_create) only when the user is created.
        type: str
        choices: [always, on_create]
        default: always
      tags:
        description:
          - Tags, among V(administrator), V(monitoring), V(management),
            V(policymaker) and V(impersonator), or listed in
            O(extra_user_tags); any other tag is refused (RabbitMQ would
            store it and grant nothing). Omit to leave an existing user's
            tags alone.
        type: list
        elements: str
  permissions:
    description:
      - Permissions of a user in a virtual host (regular expressions).
    type: list
    elements: dict
    default: []
    suboptions:
      user:
        description: User name.
        type: str
        required: true
      vhost:
        description: Virtual host.
        type: str
        default: /
      configure:
        description: Configure regular expression.
        type: str
        default: ".*"
      write:
        description: Write regular expression.
        type: str
        default: ".*"
      read:
        description: Read regular expression.
        type: str
        default: ".*"
      state:
        description: Whether the permissions should exist.
        type: str
        choices: [present, absent]
        default: present
  topic_permissions:
    description:
      - Topic permissions of a user for one topic exchange of a virtual host.
      - Removing one clears the user's topic permissions in that virtual host
        and imports the remaining ones again (the API clears them per
        virtual host).
    type: list
    elements: dict
    default: []
    suboptions:
      user:
        description: User name.
        type: str
        required: true
      vhost:
        description: Virtual host.
        type: str
        default: /
      exchange:
        description: Topic exchange.
        type: str
        default: amq.topic
      write:
        description: Regular expression for routing keys the user may publish with.
        type: str
        default: ".*"
      read:
        description: Regular expression for routing keys the user may bind with.
        type: str
        default: ".*"
      state:
        description: Whether the topic permission should exist.
        type: str
        choices: [present, absent]
        default: present
  policies:
    description:
      - Policies.
    type: list
    elements: dict
    default: []
    suboptions: &policy_options
      name:
        description: Name.
        type: str
        required: true
      vhost:
        description: Virtual host.
        type: str
        default: /
      pattern:
        description: Regular expression matching the names of queues or exchanges. Required when present.
        type: str
      apply_to:
        description:
          - What the policy applies to. V(classic_queues), V(quorum_queues)
            and V(streams) need RabbitMQ 3.12 or later. Defaults to V(all)
            for policies and V(queues) for operator policies.
        type: str
        choices: [all, exchanges, queues, classic_queues, quorum_queues, streams]
      priority:
        description: Priority; the highest matching policy applies.
        type: int
        default: 0
      definition:
        description:
          - Policy keys and values, for example C(max-length) with C(1000).
            Keys the broker version does not know are refused before any
            change. Required when present.
          - C(initial-cluster-size) must be a whole number from 1 to the
            number of cluster nodes.
        type: dict
      state:
        description: Whether the policy should exist.
        type: str
        choices: [present, absent]
        default: present
  operator_policies:
    description:
      - Operator policies (limits that override user policies).
    type: list
    elements: dict
    default: []
    suboptions: *policy_options
  vhost_limits:
    description:
      - Limits of a virtual host. An entry states the complete set of limits;
        a limit left out is removed.
    type: list
    elements: dict
    default: []
    suboptions:
      vhost:
        description: Virtual host.
        type: str
        default: /
      max_connections:
        description: Maximum number of client connections (-1 for no limit, 0 refuses all).
        type: int
      max_queues:
        description: Maximum number of queues (-1 for no limit).
        type: int
      state:
        description: V(absent) removes every limit of the virtual host.
        type: str
        choices: [present, absent]
        default: present
  user_limits:
    description:
      - Limits of a user. An entry states the complete set of limits; a limit
        left out is removed.
    type: list
    elements: dict
    default: []
    suboptions:
      user:
        description: User name.
        type: str
        required: true
      max_connections:
        description: Maximum number of connections (-1 for no limit).
        type: int
      max_channels:
        description: Maximum number of channels over all connections (-1 for no limit).
        type: int
      state:
        description: V(absent) removes every limit of the user.
        type: str
        choices: [present, absent]
        default: present
  global_parameters:
    description:
      - Global runtime parameters, for example C(cluster_name).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name.
        type: str
        required: true
      value:
        description: Any JSON value. Required when present.
        type: raw
      state:
        description: Whether the parameter should exist.
        type: str
        choices: [present, absent]
        default: present
  federation_upstreams:
    description:
      - Federation upstreams (runtime parameters of component C(federation-upstream)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name.
        type: str
        required: true
      vhost:
        description: Virtual host.
        type: str
        default: /
      uri:
        description:
          - AMQP URI(s) of the upstream, for example
            C(amqp://user:password@upstream-host/vhost). Several URIs are
            tried in turn. Credentials are masked in diffs.
        type: list
        elements: str
      exchange:
        description: Upstream exchange name (default the federated exchange's own name).
        type: str
      queue:
        description: Upstream queue name (default the federated queue's own name).
        type: str
      prefetch_count:
        description: Maximum unacknowledged messages per link.
        type: int
      reconnect_delay:
        description: Seconds to wait before reconnecting.
        type: int
      ack_mode:
        description: When messages are acknowledged upstream.
        type: str
        choices: [on-confirm, on-publish, no-ack]
        default: on-confirm
      trust_user_id:
        description: Pass C(user-id) through from the upstream.
        type: bool
      max_hops:
        description: Maximum number of federation links a message may traverse (exchanges).
        type: int
      expires:
        description: Milliseconds after which the upstream queue is deleted when disconnected.
        type: int
      message_ttl:
        description: Message TTL of the upstream queue, in milliseconds.
        type: int
      extra:
        description: Further upstream keys, as RabbitMQ names them (for example C(queue-type)).
        type: dict
      state:
        description: Whether the upstream should exist.
        type: str
        choices: [present, absent]
        default: present
  federation_upstream_sets:
    description:
      - Federation upstream sets (component C(federation-upstream-set)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name.
        type: str
        required: true
      vhost:
        description: Virtual host.
        type: str
        default: /
      upstreams:
        description:
          - Members, each an upstream name or a dict with C(upstream) and
            overriding keys.
        type: list
        elements: raw
      state:
        description: Whether the set should exist.
        type: str
        choices: [present, absent]
        default: present
  shovels:
    description:
      - Dynamic shovels between AMQP 0-9-1 brokers (component C(shovel)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name.
        type: str
        required: true
      vhost:
        description: Virtual host.
        type: str
        default: /
      src_uri:
        description: Source AMQP URI(s); C(amqp://) is the local node's default virtual host.
        type: list
        elements: str
      src_queue:
        description: Source queue (exactly one of O(shovels[].src_queue) and O(shovels[].src_exchange)).
        type: str
      src_exchange:
        description: Source exchange; the shovel binds its own queue to it.
        type: str
      src_exchange_key:
        description: Routing key of that binding.
        type: str
      src_prefetch_count:
        description: Maximum unacknowledged messages.
        type: int
      src_delete_after:
        description:
          - V(never), V(queue-length) (stop after moving the messages present
            at start) or a number of messages.
        type: raw
      dest_uri:
        description: Destination AMQP URI(s).
        type: list
        elements: str
      dest_queue:
        description: Destination queue (one of O(shovels[].dest_queue) and O(shovels[].dest_exchange) is required).
        type: str
      dest_exchange:
        description: Destination exchange.
        type: str
      dest_exchange_key:
        description: Routing key used with O(shovels[].dest_exchange).
        type: str
      dest_add_forward_headers:
        description: Add C(x-shovelled) headers.
        type: bool
      dest_add_timestamp_header:
        description: Add an C(x-shovelled-timestamp) header.
        type: bool
      ack_mode:
        description: When messages are acknowledged at the source.
        type: str
        choices: [on-confirm, on-publish, no-ack]
        default: on-confirm
      reconnect_delay:
        description: Seconds to wait before reconnecting.
        type: int
      extra:
        description: Further shovel keys, as RabbitMQ names them.
        type: dict
      state:
        description: Whether the shovel should exist.
        type: str
        choices: [present, absent]
        default: present
  exchanges:
    description:
      - Exchanges. RabbitMQ cannot change an existing exchange's properties;
        a difference is an error.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name (the C(amq.) prefix is reserved).
        type: str
        required: true
      vhost:
        description: Virtual host.
        type: str
        default: /
      type:
        description: Exchange type, for example V(direct), V(fanout), V(topic), V(headers).
        type: str
        default: direct
      durable:
        description: Survives a broker restart.
        type: bool
        default: true
      auto_delete:
        description: Deleted when its last binding is removed.
        type: bool
        default: false
      internal:
        description: Clients cannot publish to it directly.
        type: bool
        default: false
      arguments:
        description: Optional arguments, for example C(alternate-exchange).
        type: dict
        default: {}
      state:
        description: Whether the exchange should exist.
        type: str
        choices: [present, absent]
        default: present
  queues:
    description:
      - Queues. RabbitMQ cannot change an existing queue's type, durability
        or arguments; a difference is an error unless O(recreate_queues) is
        set.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name (the C(amq.) prefix is reserved).
        type: str
        required: true
      vhost:
        description: Virtual host.
        type: str
        default: /
      type:
        description:
          - Queue type (C(x-queue-type)). Omitted, the virtual host's default
            queue type (classic unless set otherwise).
        type: str
        choices: [classic, quorum, stream]
      durable:
        description: Survives a broker restart (quorum queues and streams always do).
        type: bool
        default: true
      auto_delete:
        description: Deleted when its last consumer unsubscribes.
        type: bool
        default: false
      arguments:
        description:
          - Optional arguments, for example C(x-max-length).
          - C(x-quorum-initial-group-size) must be a whole number from 1 to
            the number of cluster nodes (read with C(GET /api/nodes) when it
            is above 1).
        type: dict
        default: {}
      state:
        description: V(absent) deletes the queue and its messages.
        type: str
        choices: [present, absent]
        default: present
  bindings:
    description:
      - Bindings from an exchange to a queue or an exchange.
    type: list
    elements: dict
    default: []
    suboptions:
      vhost:
        description: Virtual host.
        type: str
        default: /
      source:
        description: Source exchange.
        type: str
        required: true
      destination:
        description: Destination queue or exchange.
        type: str
        required: true
      destination_type:
        description: Whether the destination is a queue or an exchange.
        type: str
        choices: [queue, exchange]
        default: queue
      routing_key:
        description: Routing key (binding key).
        type: str
        default: ""
      arguments:
        description: Binding arguments (for example for headers exchanges).
        type: dict
        default: {}
      state:
        description: Whether the binding should exist.
        type: str
        choices: [present, absent]
        default: present
  purge:
    description:
      - Kinds of object to purge. For a kind set to V(true), objects on the
        broker that are not declared are deleted. Never by default.
      - Never purged - O(api_user) and O(protected_users) with their
        permissions and limits, the default and C(amq.*) exchanges, objects
        the federation plugin declares for its links (C(federation:) prefix),
        and the broker's own global parameters (C(internal_cluster_id),
        C(cluster_name), C(cluster_tags)).
      - Objects inside a virtual host (or of a user) that is deleted go with it.
    type: dict
    default: {}
    suboptions:
      vhosts: {description: Purge virtual hosts., type: bool, default: false}
      users: {description: Purge users., type: bool, default: false}
      permissions: {description: Purge permissions., type: bool, default: false}
      topic_permissions: {description: Purge topic permissions., type: bool, default: false}
      policies: {description: Purge policies., type: bool, default: false}
      operator_policies: {description: Purge operator policies., type: bool, default: false}
      vhost_limits: {description: Purge virtual host limits., type: bool, default: false}
      user_limits: {description: Purge user limits., type: bool, default: false}
      global_parameters: {description: Purge global parameters., type: bool, default: false}
      federation_upstreams: {description: Purge federation upstreams., type: bool, default: false}
      federation_upstream_sets: {description: Purge federation upstream sets., type: bool, default: false}
      shovels: {description: Purge dynamic shovels., type: bool, default: false}
      exchanges: {description: Purge exchanges., type: bool, default: false}
      queues: {description: Purge queues (with their messages)., type: bool, default: false}
      bindings: {description: Purge bindings., type: bool, default: false}
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
  diff_mode:
    support: full
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
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions import (
    KINDS,
    DefinitionsError,
    apply,
    plan,
    read_cluster_nodes,
    read_state,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.http_api import (
    API_ARGUMENT_SPEC,
    ApiError,
    ManagementApi,
)

STATE = dict(type="str", choices=["present", "absent"], default="present")
VHOST = dict(type="str", default="/")
ACK_MODE = dict(type="str", choices=["on-confirm", "on-publish", "no-ack"], default="on-confirm")


def _list_of(**options):
    return dict(type="list", elements="dict", default=[], options=options)


POLICY_OPTIONS = dict(
    name=dict(type="str", required=True),
    vhost=VHOST,
    pattern=dict(type="str"),
    apply_to=dict(type="str", choices=["all", "exchanges", "queues", "classic_queues", "quorum_queues", "streams"]),
    priority=dict(type="int", default=0),
    definition=dict(type="dict"),
    state=STATE,
)

ARGUMENT_SPEC = dict(
    vhosts=_list_of(
        name=dict(type="str", required=True),
        state=STATE,
        description=dict(type="str"),
        tags=dict(type="list", elements="str"),
        default_queue_type=dict(type="str", choices=["classic", "quorum", "stream"]),
    ),
    users=_list_of(
        name=dict(type="str", required=True),
        state=STATE,
        password=dict(type="str", no_log=True),
        password_hash=dict(type="str", no_log=True),
        hashing_algorithm=dict(
            type="str",
            default="rabbit_password_hashing_sha256",
            choices=[
                "rabbit_password_hashing_sha256",
                "rabbit_password_hashing_sha512",
                "rabbit_password_hashing_md5",
            ],
        ),
        update_password=dict(type="str", choices=["always", "on_create"], default="always", no_log=False),
        tags=dict(type="list", elements="str"),
    ),
    permissions=_list_of(
        user=dict(type="str", required=True),
        vhost=VHOST,
        configure=dict(type="str", default=".*"),
        write=dict(type="str", default=".*"),
        read=dict(type="str", default=".*"),
        state=STATE,
    ),
    topic_permissions=_list_of(
        user=dict(type="str", required=True),
        vhost=VHOST,
        exchange=dict(type="str", default="amq.topic"),
        write=dict(type="str", default=".*"),
        read=dict(type="str", default=".*"),
        state=STATE,
    ),
    policies=_list_of(**POLICY_OPTIONS),
    operator_policies=_list_of(**POLICY_OPTIONS),
    vhost_limits=_list_of(
        vhost=VHOST,
        max_connections=dict(type="int"),
        max_queues=dict(type="int"),
        state=STATE,
    ),
    user_limits=_list_of(
        user=dict(type="str", required=True),
        max_connections=dict(type="int"),
        max_channels=dict(type="int"),
        state=STATE,
    ),
    global_parameters=_list_of(
        name=dict(type="str", required=True),
        value=dict(type="raw"),
        state=STATE,
    ),
    federation_upstreams=_list_of(
        name=dict(type="str", required=True),
        vhost=VHOST,
        uri=dict(type="list", elements="str", no_log=True),
        exchange=dict(type="str"),
        queue=dict(type="str"),
        prefetch_count=dict(type="int"),
        reconnect_delay=dict(type="int"),
        ack_mode=ACK_MODE,
        trust_user_id=dict(type="bool"),
        max_hops=dict(type="int"),
        expires=dict(type="int"),
        message_ttl=dict(type="int"),
        extra=dict(type="dict"),
        state=STATE,
    ),
    federation_upstream_sets=_list_of(
        name=dict(type="str", required=True),
        vhost=VHOST,
        upstreams=dict(type="list", elements="raw"),
        state=STATE,
    ),
    shovels=_list_of(
        name=dict(type="str", required=True),
        vhost=VHOST,
        src_uri=dict(type="list", elements="str", no_log=True),
        src_queue=dict(type="str"),
        src_exchange=dict(type="str"),
        src_exchange_key=dict(type="str", no_log=False),
        src_prefetch_count=dict(type="int"),
        src_delete_after=dict(type="raw"),
        dest_uri=dict(type="list", elements="str", no_log=True),
        dest_queue=dict(type="str"),
        dest_exchange=dict(type="str"),
        dest_exchange_key=dict(type="str", no_log=False),
        dest_add_forward_headers=dict(type="bool"),
        dest_add_timestamp_header=dict(type="bool"),
        ack_mode=ACK_MODE,
        reconnect_delay=dict(type="int"),
        extra=dict(type="dict"),
        state=STATE,
    ),
    exchanges=_list_of(
        name=dict(type="str", required=True),
        vhost=VHOST,
        type=dict(type="str", default="direct"),
        durable=dict(type="bool", default=True),
        auto_delete=dict(type="bool", default=False),
        internal=dict(type="bool", default=False),
        arguments=dict(type="dict", default={}),
        state=STATE,
    ),
    queues=_list_of(
        name=dict(type="str", required=True),
        vhost=VHOST,
        type=dict(type="str", choices=["classic", "quorum", "stream"]),
        durable=dict(type="bool", default=True),
        auto_delete=dict(type="bool", default=False),
        arguments=dict(type="dict", default={}),
        state=STATE,
    ),
    bindings=_list_of(
        vhost=VHOST,
        source=dict(type="str", required=True),
        destination=dict(type="str", required=True),
        destination_type=dict(type="str", choices=["queue", "exchange"], default="queue"),
        routing_key=dict(type="str", default="", no_log=False),
        arguments=dict(type="dict", default={}),
        state=STATE,
    ),
    purge=dict(
        type="dict",
        default={},
        options=dict((kind, dict(type="bool", default=False)) for kind in KINDS),
    ),
    protected_users=dict(type="list", elements="str", default=[]),
    recreate_queues=dict(type="bool", default=False),
    extra_policy_keys=dict(type="list", elements="str", default=[], no_log=False),
    extra_user_tags=dict(type="list", elements="str", default=[]),
    min_password_length=dict(type="int", default=0, no_log=False),
)
ARGUMENT_SPEC.update(API_ARGUMENT_SPEC)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    api = ManagementApi(
        params["api_url"],
        params["api_user"],
        params["api_password"],
        timeout=params["api_timeout"],
        validate_certs=params["validate_certs"],
        ca_path=params["ca_path"],
    )
    desired = dict((kind, params[kind]) for kind in KINDS)
    result = dict(changed=False, changes=[], summary={}, requests=[], api_calls=api.calls, rabbitmq_version=None)
    if params["min_password_length"] < 0:
        module.fail_json(msg="min_password_length: %d is negative; allowed: 0 (no check) or more"
                         % params["min_password_length"], **result)

    try:
        export, vhost_details = read_state(api, desired)
        cluster_nodes = read_cluster_nodes(api, desired)
    except ApiError as exc:
        module.fail_json(msg="reading the broker state failed: %s" % exc, **result)
    result["rabbitmq_version"] = export.get("rabbitmq_version") or export.get("rabbit_version")

    try:
        the_plan = plan(
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
        )
    except DefinitionsError as exc:
        module.fail_json(
            msg="invalid definitions, nothing was changed: %s" % exc, errors=exc.errors, **result
        )

    result.update(
        changed=the_plan.changed,
        changes=the_plan.changes,
        summary=the_plan.summary(),
        requests=["%s %s" % (method, path) for method, path, _body in the_plan.requests()],
    )
    for warning in the_plan.warnings:
        module.warn(warning)
    if module._diff:
        result["diff"] = dict(before=the_plan.before, after=the_plan.after)
    if the_plan.changed and not module.check_mode:
        try:
            apply(api, the_plan)
        except ApiError as exc:
            hint = ""
            if exc.status is None:
                hint = (" (the broker may still be applying what it received: re-run to see what remains,"
                        " and raise api_timeout for large imports)")
            module.fail_json(msg="applying the definitions failed: %s%s" % (exc, hint), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
