# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The options of mqops.rabbitmq.rabbitmq_definitions that come from its object kinds.

    Rendered by tools/render_doc_fragments.py from the same option tables
    as the module's argument spec (module_utils/definitions/kinds/*.py, one
    per kind), so documentation and argument spec cannot disagree
    (tests/unit/test_doc_fragments.py checks it is current).
    """

    # Rendered by tools/render_doc_fragments.py from the option tables: do not edit.
    DOCUMENTATION = r"""
options:
  vhosts:
    description:
    - Virtual hosts.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
        - Name.
        type: str
        required: true
      state:
        description:
        - Whether it should exist. Deleting a virtual host deletes everything in it.
        type: str
        default: present
        choices:
        - present
        - absent
      description:
        description:
        - Description. Omit to leave it alone.
        type: str
      tags:
        description:
        - Tags. Omit to leave them alone.
        type: list
        elements: str
      default_queue_type:
        description:
        - Queue type of queues declared without one (RabbitMQ 3.11 and later). Omit to leave it alone.
        type: str
        choices:
        - classic
        - quorum
        - stream
  users:
    description:
    - Users of the internal database.
    type: list
    elements: dict
    default: []
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
        - Must have at least O(min_password_length) characters.
        - 'For O(api_user) (the administrator the module logs in as), it must be O(api_password) or be left out: the administrator''s
          password has one owner. Deleting O(api_user) or declaring it without the V(administrator) tag is refused too.'
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
        - Any other tag is refused unless listed in O(extra_user_tags) (RabbitMQ would store it and grant nothing).
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
        description:
        - User name.
        type: str
        required: true
      vhost:
        description:
        - Virtual host.
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
      state:
        description:
        - Whether the permissions should exist.
        type: str
        default: present
        choices:
        - present
        - absent
  topic_permissions:
    description:
    - Topic permissions of a user for one topic exchange of a virtual host.
    - Removing one clears the user's topic permissions in that virtual host and imports the remaining ones again (the API
      clears them per virtual host).
    type: list
    elements: dict
    default: []
    suboptions:
      user:
        description:
        - User name.
        type: str
        required: true
      vhost:
        description:
        - Virtual host.
        type: str
        default: /
      exchange:
        description:
        - Topic exchange.
        type: str
        default: amq.topic
      write:
        description:
        - Regular expression for routing keys the user may publish with.
        type: str
        default: .*
      read:
        description:
        - Regular expression for routing keys the user may bind with.
        type: str
        default: .*
      state:
        description:
        - Whether the topic permission should exist.
        type: str
        default: present
        choices:
        - present
        - absent
  policies:
    description:
    - Policies.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
        - Name.
        type: str
        required: true
      vhost:
        description:
        - Virtual host.
        type: str
        default: /
      pattern:
        description:
        - Regular expression matching the names of queues or exchanges. Required when present.
        type: str
      apply_to:
        description:
        - What the policy applies to. V(classic_queues), V(quorum_queues) and V(streams) need RabbitMQ 3.12 or later. Defaults
          to V(all) for policies and V(queues) for operator policies.
        type: str
        choices:
        - all
        - exchanges
        - queues
        - classic_queues
        - quorum_queues
        - streams
      priority:
        description:
        - Priority; the highest matching policy applies.
        type: int
        default: 0
      definition:
        description:
        - Policy keys and values, for example C(max-length) with C(1000). Keys the broker version does not know, and values
          of the wrong type or out of range (C(max-length) must be a whole number, C(overflow) one of its modes...), are refused
          before any change. Required when present.
        - C(initial-cluster-size) must be a whole number from 1 to the number of cluster nodes.
        type: dict
      state:
        description:
        - Whether the policy should exist.
        type: str
        default: present
        choices:
        - present
        - absent
  operator_policies:
    description:
    - Operator policies (limits that override user policies).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
        - Name.
        type: str
        required: true
      vhost:
        description:
        - Virtual host.
        type: str
        default: /
      pattern:
        description:
        - Regular expression matching the names of queues or exchanges. Required when present.
        type: str
      apply_to:
        description:
        - What the policy applies to. V(classic_queues), V(quorum_queues) and V(streams) need RabbitMQ 3.12 or later. Defaults
          to V(all) for policies and V(queues) for operator policies.
        type: str
        choices:
        - all
        - exchanges
        - queues
        - classic_queues
        - quorum_queues
        - streams
      priority:
        description:
        - Priority; the highest matching policy applies.
        type: int
        default: 0
      definition:
        description:
        - Policy keys and values, for example C(max-length) with C(1000). Keys the broker version does not know, and values
          of the wrong type or out of range (C(max-length) must be a whole number, C(overflow) one of its modes...), are refused
          before any change. Required when present.
        - C(initial-cluster-size) must be a whole number from 1 to the number of cluster nodes.
        type: dict
      state:
        description:
        - Whether the policy should exist.
        type: str
        default: present
        choices:
        - present
        - absent
  vhost_limits:
    description:
    - Limits of a virtual host. An entry states the complete set of limits; a limit left out is removed.
    type: list
    elements: dict
    default: []
    suboptions:
      vhost:
        description:
        - Virtual host.
        type: str
        default: /
      max_connections:
        description:
        - Maximum number of client connections (-1 for no limit, 0 refuses all).
        type: int
      max_queues:
        description:
        - Maximum number of queues (-1 for no limit).
        type: int
      state:
        description:
        - V(absent) removes every limit of the virtual host.
        type: str
        default: present
        choices:
        - present
        - absent
  user_limits:
    description:
    - Limits of a user. An entry states the complete set of limits; a limit left out is removed.
    type: list
    elements: dict
    default: []
    suboptions:
      user:
        description:
        - User name.
        type: str
        required: true
      max_connections:
        description:
        - Maximum number of connections (-1 for no limit).
        type: int
      max_channels:
        description:
        - Maximum number of channels over all connections (-1 for no limit).
        type: int
      state:
        description:
        - V(absent) removes every limit of the user.
        type: str
        default: present
        choices:
        - present
        - absent
  global_parameters:
    description:
    - Global runtime parameters, for example C(cluster_name).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
        - Name.
        type: str
        required: true
      value:
        description:
        - Any JSON value. Required when present.
        type: raw
      state:
        description:
        - Whether the parameter should exist.
        type: str
        default: present
        choices:
        - present
        - absent
  federation_upstreams:
    description:
    - Federation upstreams (runtime parameters of component C(federation-upstream)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
        - Name.
        type: str
        required: true
      vhost:
        description:
        - Virtual host.
        type: str
        default: /
      uri:
        description:
        - AMQP URI(s) of the upstream, for example C(amqp://user:password@upstream-host/vhost). Several URIs are tried in
          turn. Credentials are masked in diffs.
        type: list
        elements: str
      exchange:
        description:
        - Upstream exchange name (default the federated exchange's own name).
        type: str
      queue:
        description:
        - Upstream queue name (default the federated queue's own name).
        type: str
      prefetch_count:
        description:
        - Maximum unacknowledged messages per link.
        type: int
      reconnect_delay:
        description:
        - Seconds to wait before reconnecting.
        type: int
      ack_mode:
        description:
        - When messages are acknowledged upstream.
        type: str
        default: on-confirm
        choices:
        - on-confirm
        - on-publish
        - no-ack
      trust_user_id:
        description:
        - Pass C(user-id) through from the upstream.
        type: bool
      max_hops:
        description:
        - Maximum number of federation links a message may traverse (exchanges).
        type: int
      expires:
        description:
        - Milliseconds after which the upstream queue is deleted when disconnected.
        type: int
      message_ttl:
        description:
        - Message TTL of the upstream queue, in milliseconds.
        type: int
      extra:
        description:
        - Further upstream keys, as RabbitMQ names them (for example C(queue-type)).
        type: dict
      state:
        description:
        - Whether the upstream should exist.
        type: str
        default: present
        choices:
        - present
        - absent
  federation_upstream_sets:
    description:
    - Federation upstream sets (component C(federation-upstream-set)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
        - Name.
        type: str
        required: true
      vhost:
        description:
        - Virtual host.
        type: str
        default: /
      upstreams:
        description:
        - Members, each an upstream name or a dict with C(upstream) and overriding keys.
        type: list
        elements: raw
      state:
        description:
        - Whether the set should exist.
        type: str
        default: present
        choices:
        - present
        - absent
  shovels:
    description:
    - Dynamic shovels between AMQP 0-9-1 brokers (component C(shovel)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
        - Name.
        type: str
        required: true
      vhost:
        description:
        - Virtual host.
        type: str
        default: /
      src_uri:
        description:
        - Source AMQP URI(s); C(amqp://) is the local node's default virtual host.
        type: list
        elements: str
      src_queue:
        description:
        - Source queue (exactly one of O(shovels[].src_queue) and O(shovels[].src_exchange)).
        type: str
      src_exchange:
        description:
        - Source exchange; the shovel binds its own queue to it.
        type: str
      src_exchange_key:
        description:
        - Routing key of that binding.
        type: str
      src_prefetch_count:
        description:
        - Maximum unacknowledged messages.
        type: int
      src_delete_after:
        description:
        - V(never), V(queue-length) (stop after moving the messages present at start) or a number of messages.
        type: raw
      dest_uri:
        description:
        - Destination AMQP URI(s).
        type: list
        elements: str
      dest_queue:
        description:
        - Destination queue (one of O(shovels[].dest_queue) and O(shovels[].dest_exchange) is required).
        type: str
      dest_exchange:
        description:
        - Destination exchange.
        type: str
      dest_exchange_key:
        description:
        - Routing key used with O(shovels[].dest_exchange).
        type: str
      dest_add_forward_headers:
        description:
        - Add C(x-shovelled) headers.
        type: bool
      dest_add_timestamp_header:
        description:
        - Add an C(x-shovelled-timestamp) header.
        type: bool
      ack_mode:
        description:
        - When messages are acknowledged at the source.
        type: str
        default: on-confirm
        choices:
        - on-confirm
        - on-publish
        - no-ack
      reconnect_delay:
        description:
        - Seconds to wait before reconnecting.
        type: int
      extra:
        description:
        - Further shovel keys, as RabbitMQ names them.
        type: dict
      state:
        description:
        - Whether the shovel should exist.
        type: str
        default: present
        choices:
        - present
        - absent
  exchanges:
    description:
    - Exchanges. RabbitMQ cannot change an existing exchange's properties; a difference is an error.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
        - Name (the C(amq.) prefix is reserved).
        type: str
        required: true
      vhost:
        description:
        - Virtual host.
        type: str
        default: /
      type:
        description:
        - Exchange type, for example V(direct), V(fanout), V(topic), V(headers).
        type: str
        default: direct
      durable:
        description:
        - Survives a broker restart.
        type: bool
        default: true
      auto_delete:
        description:
        - Deleted when its last binding is removed.
        type: bool
        default: false
      internal:
        description:
        - Clients cannot publish to it directly.
        type: bool
        default: false
      arguments:
        description:
        - Optional arguments, for example C(alternate-exchange).
        type: dict
        default: {}
      state:
        description:
        - Whether the exchange should exist.
        type: str
        default: present
        choices:
        - present
        - absent
  queues:
    description:
    - Queues. RabbitMQ cannot change an existing queue's type, durability or arguments; a difference is an error unless O(recreate_queues)
      is set.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
        - Name (the C(amq.) prefix is reserved).
        type: str
        required: true
      vhost:
        description:
        - Virtual host.
        type: str
        default: /
      type:
        description:
        - Queue type (C(x-queue-type)). Omitted, the virtual host's default queue type (classic unless set otherwise).
        type: str
        choices:
        - classic
        - quorum
        - stream
      durable:
        description:
        - Survives a broker restart (quorum queues and streams always do).
        type: bool
        default: true
      auto_delete:
        description:
        - Deleted when its last consumer unsubscribes.
        type: bool
        default: false
      arguments:
        description:
        - 'Optional arguments, for example C(x-max-length). The ones RabbitMQ knows are checked before any change: their type
          and value (C(x-max-length) a whole number, C(x-overflow) one of its modes, C(x-max-age) like C(7D)...) and whether
          the queue type takes them.'
        - C(x-quorum-initial-group-size) must be a whole number from 1 to the number of cluster nodes (read with C(GET /api/nodes)
          when it is above 1).
        type: dict
        default: {}
      state:
        description:
        - V(absent) deletes the queue and its messages.
        type: str
        default: present
        choices:
        - present
        - absent
  bindings:
    description:
    - Bindings from an exchange to a queue or an exchange.
    type: list
    elements: dict
    default: []
    suboptions:
      vhost:
        description:
        - Virtual host.
        type: str
        default: /
      source:
        description:
        - Source exchange.
        type: str
        required: true
      destination:
        description:
        - Destination queue or exchange.
        type: str
        required: true
      destination_type:
        description:
        - Whether the destination is a queue or an exchange.
        type: str
        default: queue
        choices:
        - queue
        - exchange
      routing_key:
        description:
        - Routing key (binding key).
        type: str
        default: ''
      arguments:
        description:
        - Binding arguments (for example for headers exchanges).
        type: dict
        default: {}
      state:
        description:
        - Whether the binding should exist.
        type: str
        default: present
        choices:
        - present
        - absent
  purge:
    description:
    - Kinds of object to purge. For a kind set to V(true), objects on the broker that are not declared are deleted. Never
      by default.
    - Never purged - O(api_user) and O(protected_users) with their permissions and limits, the default and C(amq.*) exchanges,
      objects the federation plugin declares for its links (C(federation:) prefix), and the broker's own global parameters
      (C(internal_cluster_id), C(cluster_name), C(cluster_tags)).
    - Objects inside a virtual host (or of a user) that is deleted go with it.
    type: dict
    default: {}
    suboptions:
      vhosts:
        description:
        - Purge virtual hosts.
        type: bool
        default: false
      users:
        description:
        - Purge users.
        type: bool
        default: false
      permissions:
        description:
        - Purge permissions.
        type: bool
        default: false
      topic_permissions:
        description:
        - Purge topic permissions.
        type: bool
        default: false
      policies:
        description:
        - Purge policies.
        type: bool
        default: false
      operator_policies:
        description:
        - Purge operator policies.
        type: bool
        default: false
      vhost_limits:
        description:
        - Purge virtual host limits.
        type: bool
        default: false
      user_limits:
        description:
        - Purge user limits.
        type: bool
        default: false
      global_parameters:
        description:
        - Purge global parameters.
        type: bool
        default: false
      federation_upstreams:
        description:
        - Purge federation upstreams.
        type: bool
        default: false
      federation_upstream_sets:
        description:
        - Purge federation upstream sets.
        type: bool
        default: false
      shovels:
        description:
        - Purge dynamic shovels.
        type: bool
        default: false
      exchanges:
        description:
        - Purge exchanges.
        type: bool
        default: false
      queues:
        description:
        - Purge queues (with their messages).
        type: bool
        default: false
      bindings:
        description:
        - Purge bindings.
        type: bool
        default: false
"""
