"""The topology of vars/topology.yml, as each running broker reports it and as clients see it.

Reads the broker through its management API and AMQP from the test host (the
containers' own addresses), and runs the module itself on the node
(host.ansible) to check that a re-run is one request and that check mode
reports exactly what would change while changing nothing.
"""

import copy
import json
import os
import subprocess
import urllib.parse
import uuid

import jinja2.nativetypes
import pika
import pytest
import rabbitmq_probe as probe
import yaml

TOPOLOGY_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vars", "topology.yml")
KINDS = (
    "vhosts", "users", "permissions", "topic_permissions", "policies", "operator_policies", "vhost_limits",
    "user_limits", "global_parameters", "federation_upstreams", "federation_upstream_sets", "shovels",
    "exchanges", "queues", "bindings",
)
MODULE = "mqops.rabbitmq.rabbitmq_definitions"


def _render(value, context):
    """Render the file's templates as Ansible would (native types)."""
    if isinstance(value, str) and "{{" in value:
        environment = jinja2.nativetypes.NativeEnvironment()
        return _render(environment.from_string(value).render(**context), context)
    if isinstance(value, dict):
        return dict((k, _render(v, context)) for k, v in value.items())
    if isinstance(value, list):
        return [_render(v, context) for v in value]
    return value


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostvars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def is_4(hostvars):
    return bool(hostvars.get("topology_rabbitmq_4", False))


@pytest.fixture(scope="module")
def noop_reads(api, is_4, topology):
    """The requests of a run that changes nothing: one export, plus what the
    broker's version leaves out of it (3.10: vhost metadata; 4.3: internal
    exchanges, when the topology declares one)."""
    version = tuple(int(p) for p in api("/api/overview")["rabbitmq_version"].split(".")[:2])
    reads = ["GET /api/definitions"]
    if not is_4:
        reads.append("GET /api/vhosts?columns=name,description,tags,metadata")
    if version >= (4, 3) and any(e.get("internal") for e in topology["exchanges"]):
        reads.append("GET /api/exchanges?columns=name%2Cvhost%2Ctype%2Cdurable%2Cauto_delete%2Cinternal%2Carguments")
    return reads


@pytest.fixture(scope="module")
def passwords():
    with open(TOPOLOGY_FILE) as handle:
        return yaml.safe_load(handle)["topology_passwords"]


@pytest.fixture(scope="module")
def topology(is_4, passwords):
    """The module arguments the role passed (vars of topology.yml, rendered)."""
    with open(TOPOLOGY_FILE) as handle:
        raw = yaml.safe_load(handle)
    context = dict(raw, topology_rabbitmq_4=is_4)
    return dict((kind, _render(raw["rabbitmq_definitions_" + kind], context)) for kind in KINDS)


@pytest.fixture(scope="module")
def admin(hostvars):
    return hostvars.get("rabbitmq_server_admin_user", "admin"), hostvars["rabbitmq_server_admin_password"]


@pytest.fixture(scope="module")
def address(host):
    return probe.container_address(host)


def quote(name):
    return urllib.parse.quote(name, safe="")


@pytest.fixture(scope="module")
def api(address, admin):
    def get(path):
        status, body = probe.http_get("http://%s:15672%s" % (address, path), *admin)
        assert status == 200, "GET %s answered %s" % (path, status)
        return body

    return get


@pytest.fixture(scope="module")
def connect(address, passwords):
    """An AMQP connection as a topology user (no retries: refusals must show)."""

    def open_connection(user, vhost):
        params = pika.ConnectionParameters(
            host=address,
            virtual_host=vhost,
            credentials=pika.PlainCredentials(user, passwords[user]),
            connection_attempts=1,
            socket_timeout=5,
            blocked_connection_timeout=30,
        )
        return pika.BlockingConnection(params)

    return open_connection


@pytest.fixture(scope="module")
def run_module(host, admin, topology):
    """Run the module on the node with --diff (and --check unless told otherwise).

    Through the ansible CLI with the json callback rather than host.ansible():
    the --tree result testinfra reads has neither the diff nor "failed".
    Returns the module's result.
    """
    inventory = host.backend.ansible_inventory
    name = host.backend.host
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")

    def run(changes=None, check=True):
        args = copy.deepcopy(topology)
        args.update(changes or {})
        args["api_user"], args["api_password"] = admin
        command = ["ansible", "-i", inventory, "-m", MODULE, "--args", json.dumps(args), "--diff", name]
        if check:
            command.append("--check")
        process = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        output = json.loads(process.stdout)
        return output["plays"][0]["tasks"][0]["hosts"][name]

    return run


def receive(connection, queue, timeout=60):
    channel = connection.channel()

    def get():
        method, _properties, body = channel.basic_get(queue=queue, auto_ack=True)
        return body if method is not None else None

    return probe.wait_for(get, timeout=timeout, interval=0.5)


def publish(connection, exchange, routing_key, body, headers=None):
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(
        exchange=exchange,
        routing_key=routing_key,
        body=body,
        properties=pika.BasicProperties(delivery_mode=2, headers=headers),
    )
    return channel


def sorted_export(export):
    """An export with every list sorted, for before/after comparisons."""
    result = {}
    for key, value in export.items():
        if isinstance(value, list):
            value = sorted(value, key=lambda item: json.dumps(item, sort_keys=True))
        result[key] = value
    return result


# --- what the broker reports -----------------------------------------------------------------


def test_vhosts_with_metadata(api, topology):
    vhosts = dict((v["name"], v) for v in api("/api/vhosts"))
    for want in topology["vhosts"]:
        have = vhosts[want["name"]]
        assert have["description"] == want["description"]
        assert sorted(have["tags"]) == sorted(want.get("tags", []))
        if "default_queue_type" in want:
            assert have["default_queue_type"] == want["default_queue_type"]
    assert len(topology["vhosts"]) >= 6


def test_users_with_tags(api, topology):
    users = dict((u["name"], u) for u in api("/api/users"))
    for want in topology["users"]:
        assert sorted(users[want["name"]]["tags"]) == sorted(want["tags"])
    assert users["hashed-app"]["hashing_algorithm"] == "rabbit_password_hashing_sha512"
    assert len(topology["users"]) == 10


def test_permissions(api, topology):
    have = dict(((p["user"], p["vhost"]), p) for p in api("/api/permissions"))
    for want in topology["permissions"]:
        got = have[(want["user"], want["vhost"])]
        for field in ("configure", "write", "read"):
            assert got[field] == want.get(field, ".*"), (want, field)


def test_topic_permissions(api, topology):
    have = dict(((p["user"], p["vhost"], p["exchange"]), p) for p in api("/api/topic-permissions"))
    for want in topology["topic_permissions"]:
        got = have[(want["user"], want["vhost"], want["exchange"])]
        assert (got["write"], got["read"]) == (want["write"], want["read"])


@pytest.mark.parametrize("kind, path", [("policies", "/api/policies"), ("operator_policies", "/api/operator-policies")])
def test_policies(api, topology, kind, path):
    have = dict(((p["vhost"], p["name"]), p) for p in api(path))
    for want in topology[kind]:
        got = have[(want["vhost"], want["name"])]
        assert got["pattern"] == want["pattern"]
        assert got["apply-to"] == want["apply_to"]
        assert got["priority"] == want.get("priority", 0)
        assert got["definition"] == want["definition"]
    if kind == "policies":
        assert len(topology[kind]) == 10


def test_vhost_and_user_limits(api, topology):
    vhost_limits = dict((entry["vhost"], entry["value"]) for entry in api("/api/vhost-limits"))
    for want in topology["vhost_limits"]:
        expected = dict((k.replace("_", "-"), v) for k, v in want.items() if k.startswith("max_"))
        assert vhost_limits[want["vhost"]] == expected
    user_limits = dict((entry["user"], entry["value"]) for entry in api("/api/user-limits"))
    for want in topology["user_limits"]:
        expected = dict((k.replace("_", "-"), v) for k, v in want.items() if k.startswith("max_"))
        assert user_limits[want["user"]] == expected


def test_global_parameter(api, topology):
    want = topology["global_parameters"][0]
    assert api("/api/global-parameters/%s" % want["name"])["value"] == want["value"]


def test_exchanges_queues_and_bindings(api, topology):
    exchanges = dict(((e["vhost"], e["name"]), e) for e in api("/api/exchanges"))
    for want in topology["exchanges"]:
        got = exchanges[(want["vhost"], want["name"])]
        assert got["type"] == want["type"]
        assert got["durable"] is True
        assert got["internal"] is want.get("internal", False)
    queues = dict(((q["vhost"], q["name"]), q) for q in api("/api/queues"))
    for want in topology["queues"]:
        got = queues[(want["vhost"], want["name"])]
        assert got.get("type", "classic") == want.get("type", "classic")
        for key, value in want.get("arguments", {}).items():
            assert got["arguments"][key] == value
    assert {q["type"] for q in queues.values()} >= {"classic", "quorum", "stream"}
    bindings = api("/api/bindings")
    for want in topology["bindings"]:
        assert any(
            b["vhost"] == want["vhost"]
            and b["source"] == want["source"]
            and b["destination"] == want["destination"]
            and b["destination_type"] == want.get("destination_type", "queue")
            and b["routing_key"] == want.get("routing_key", "")
            and b["arguments"] == want.get("arguments", {})
            for b in bindings
        ), want


def test_federation_and_shovel_parameters_hold_the_declared_uris(api, topology):
    upstream = api("/api/parameters/federation-upstream/inventory/inventory-origin")["value"]
    assert upstream["uri"] == topology["federation_upstreams"][0]["uri"]
    assert upstream["max-hops"] == 1
    shovel = api("/api/parameters/shovel/billing/billing-to-audit")["value"]
    assert shovel["src-queue"] == "billing.outbox" and shovel["dest-queue"] == "audit.inbox"


# --- what clients see -----------------------------------------------------------------------


def test_every_user_can_log_in(connect, topology):
    vhost_of = {}
    for permission in topology["permissions"]:
        vhost_of.setdefault(permission["user"], permission["vhost"])
    assert set(vhost_of) == {u["name"] for u in topology["users"]}
    for user, vhost in sorted(vhost_of.items()):
        if vhost == "sandbox" and user != "hashed-app":
            continue  # two connections at most there (test_vhost_connection_limit)
        connection = connect(user, vhost)
        assert connection.is_open, user
        connection.close()


def test_wrong_password_is_refused(address):
    params = pika.ConnectionParameters(
        host=address, virtual_host="orders", credentials=pika.PlainCredentials("orders-app", "wrong"),
        connection_attempts=1, socket_timeout=5,
    )
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        pika.BlockingConnection(params)


def test_publish_where_permitted_arrives(connect):
    body = ("order " + uuid.uuid4().hex).encode()
    connection = connect("orders-app", "orders")
    try:
        publish(connection, "orders.events", "order.created.42", body)
        assert receive(connection, "orders.work") == body
        assert receive(connection, "orders.audit") == body
    finally:
        connection.close()


def test_publish_without_write_permission_is_refused(connect):
    connection = connect("orders-reader", "orders")
    try:
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as excinfo:
            publish(connection, "orders.events", "order.created.1", b"not allowed")
        assert excinfo.value.reply_code == 403
    finally:
        connection.close()


def test_topic_permission_refuses_other_routing_keys(connect):
    connection = connect("orders-app", "orders")
    try:
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as excinfo:
            publish(connection, "orders.events", "payment.captured", b"not an order")
        assert excinfo.value.reply_code == 403
        assert "routing key" in excinfo.value.reply_text or "topic" in excinfo.value.reply_text
    finally:
        connection.close()


def test_configure_permission_is_enforced(connect):
    connection = connect("orders-app", "orders")
    try:
        channel = connection.channel()
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as excinfo:
            channel.queue_declare(queue="not-orders-%s" % uuid.uuid4().hex[:6], durable=True)
        assert excinfo.value.reply_code == 403
    finally:
        connection.close()


def test_policy_applies_to_the_matching_queue(api):
    def effective(vhost, queue):
        details = api("/api/queues/%s/%s" % (quote(vhost), quote(queue)))
        return details if details.get("effective_policy_definition") else None

    work = probe.wait_for(lambda: effective("orders", "orders.work"), timeout=60)
    # orders-dlx (priority 5) beats orders-limits (priority 1).
    assert work["policy"] == "orders-dlx"
    assert work["effective_policy_definition"]["dead-letter-exchange"] == "orders.dlx"
    assert work["operator_policy"] == "orders-ceiling"
    invoices = probe.wait_for(lambda: effective("billing", "billing.invoices"), timeout=60)
    assert invoices["policy"] == "billing-ttl"
    assert invoices["effective_policy_definition"]["message-ttl"] == 86400000
    sandbox = probe.wait_for(lambda: effective("sandbox", "sandbox.work"), timeout=60)
    # The lower of policy (1000) and operator policy (5000).
    assert sandbox["effective_policy_definition"]["max-length"] == 1000


def test_alternate_exchange_policy_and_hashed_password_user(connect):
    # hashed-app was declared by a pre-computed SHA-512 hash only.
    body = ("unroutable " + uuid.uuid4().hex).encode()
    connection = connect("hashed-app", "sandbox")
    try:
        publish(connection, "sandbox.in", "nowhere", body)
        assert receive(connection, "sandbox.unrouted") == body
    finally:
        connection.close()


def test_headers_binding_routes_on_arguments(connect):
    body = ("invoice " + uuid.uuid4().hex).encode()
    connection = connect("billing-app", "billing")
    try:
        publish(connection, "billing.headers", "", body, headers={"kind": "invoice"})
        publish(connection, "billing.headers", "", b"ignored", headers={"kind": "receipt"})
        assert receive(connection, "billing.invoices") == body
        channel = connection.channel()
        assert channel.basic_get(queue="billing.invoices", auto_ack=True)[0] is None
    finally:
        connection.close()


def test_vhost_connection_limit(api, connect):
    probe.wait_for(lambda: not [c for c in api("/api/connections") if c.get("vhost") == "sandbox"], timeout=60)
    first = connect("ops", "sandbox")
    second = connect("ops", "sandbox")
    try:
        with pytest.raises(pika.exceptions.AMQPConnectionError):
            connect("ops", "sandbox")
    finally:
        first.close()
        second.close()


def test_shovel_runs_and_moves_messages(api, connect):
    def running():
        states = [s for s in api("/api/shovels/billing") if s["name"] == "billing-to-audit"]
        return states and states[0]["state"] == "running"

    probe.wait_for(running, timeout=90)
    body = ("shovelled " + uuid.uuid4().hex).encode()
    connection = connect("billing-app", "billing")
    try:
        publish(connection, "billing.direct", "outbox", body)
    finally:
        connection.close()
    reader = connect("audit-reader", "audit")
    try:
        assert receive(reader, "audit.inbox") == body
    finally:
        reader.close()


def test_federation_link_runs_and_moves_messages(api, connect):
    def running():
        links = [link for link in api("/api/federation-links/inventory") if link["exchange"] == "inventory.events"]
        return links and links[0]["status"] == "running"

    probe.wait_for(running, timeout=90)
    body = ("stock " + uuid.uuid4().hex).encode()
    upstream = connect("inventory-app", "edge")
    try:
        publish(upstream, "inventory.events", "stock.widget", body)
    finally:
        upstream.close()
    downstream = connect("inventory-app", "inventory")
    try:
        assert receive(downstream, "inventory.updates") == body
    finally:
        downstream.close()


# --- the module on the node: re-run, check mode, validation ----------------------------------------


def test_rerun_changes_nothing_in_one_request(run_module, noop_reads):
    result = run_module()
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False, result["changes"]
    assert result["api_calls"] == noop_reads


def test_check_mode_reports_exactly_the_changes_and_changes_nothing(run_module, api, topology, passwords):
    before = sorted_export(api("/api/definitions"))
    policies = copy.deepcopy(topology["policies"])
    policies[0]["definition"] = dict(policies[0]["definition"], **{"max-length": 90000})
    users = copy.deepcopy(topology["users"])
    next(u for u in users if u["name"] == "ops")["password"] = "Ops-Rotated-Pw"
    queues = [dict(q, state="absent") if q["name"] == "sandbox.work" else q for q in topology["queues"]]
    bindings = [dict(b, state="absent") if b.get("destination") == "sandbox.work" else b
                for b in topology["bindings"]]
    vhosts = topology["vhosts"] + [{"name": "check-only"}]
    result = run_module(dict(policies=policies, users=users, queues=queues, bindings=bindings, vhosts=vhosts))
    assert result["changed"] is True
    assert [(c["kind"], c["object"], c["action"]) for c in result["changes"]] == [
        ("vhosts", "vhosts[check-only]", "create"),
        ("users", "users[ops]", "update"),
        ("policies", "policies[vhost=orders, name=orders-limits]", "update"),
        ("queues", "queues[vhost=sandbox, name=sandbox.work]", "delete"),
    ]
    assert result["requests"] == ["POST /api/definitions", "DELETE /api/queues/sandbox/sandbox.work"]
    assert result["diff"]["after"]["users"]["ops"]["password"] == "(changed)"
    assert "Ops-Rotated-Pw" not in json.dumps(result)
    # Nothing changed on the broker.
    assert sorted_export(api("/api/definitions")) == before


def test_diff_masks_uri_credentials(run_module, passwords):
    upstream = {
        "name": "inventory-origin", "vhost": "inventory", "max_hops": 2, "prefetch_count": 100, "reconnect_delay": 2,
        "uri": "amqp://federation:%s@127.0.0.1/edge" % passwords["federation"],
    }
    result = run_module({"federation_upstreams": [upstream]})
    after = result["diff"]["after"]["federation_upstreams"]["vhost=inventory, name=inventory-origin"]
    assert after["uri"] == "amqp://federation:********@127.0.0.1/edge"
    assert passwords["federation"] not in json.dumps(result)


def test_invalid_definitions_fail_naming_object_and_field(run_module, api, is_4, noop_reads):
    before = sorted_export(api("/api/definitions"))
    bad = {
        "policies": [{"name": "mirror", "vhost": "orders", "pattern": "^orders\\.(", "apply_to": "queues",
                      "definition": {"ha-mode": "all"}}],
        "permissions": [{"user": "orders-app", "vhost": "missing-vhost"}],
        "shovels": [{"name": "nowhere", "vhost": "billing", "src_uri": "amqp://", "src_queue": "billing.outbox"}],
    }
    result = run_module(bad, check=False)
    assert result["failed"] is True
    assert result["msg"].startswith("invalid definitions, nothing was changed: ")
    errors = result["errors"]
    assert "policies[vhost=orders, name=mirror].pattern: invalid regular expression '^orders\\\\.('" in errors[0]
    assert any(e.startswith("permissions[user=orders-app, vhost=missing-vhost].vhost: virtual host 'missing-vhost'")
               for e in errors)
    assert any(e.startswith("shovels[vhost=billing, name=nowhere].dest_uri") for e in errors)
    assert any(e.startswith("shovels[vhost=billing, name=nowhere].dest_queue: a shovel needs a destination")
               for e in errors)
    ha = [e for e in errors if "'ha-mode'" in e]
    if is_4:
        assert ha and "classic queue mirroring was removed in 4.0" in ha[0]
    else:
        assert not ha  # classic mirroring still exists in 3.10
    assert result["api_calls"] == noop_reads
    assert sorted_export(api("/api/definitions")) == before


def test_refused_import_is_reverted_and_the_broker_is_unchanged(run_module, api, topology):
    """A rejection validation cannot foresee: an exchange type whose plugin is not enabled.

    The broker applies an import's users, vhosts and permissions before its
    exchanges, keeps them when it refuses the exchange, and answers 400; the
    module then reverts what was applied and reports it.
    """
    before = sorted_export(api("/api/definitions"))
    users = [dict(u, tags=["monitoring", "management"]) if u["name"] == "monitoring" else u for u in topology["users"]]
    changes = {
        "vhosts": topology["vhosts"] + [{"name": "revert-me", "description": "created, then reverted"}],
        "users": users + [{"name": "revert-user", "password": "Revert-User-Pw-1", "tags": []}],
        "permissions": topology["permissions"] + [{"user": "revert-user", "vhost": "revert-me"}],
        "exchanges": topology["exchanges"] + [{"name": "orders.delayed", "vhost": "orders",
                                               "type": "x-delayed-message"}],
        "queues": [dict(q, state="absent") if q["name"] == "sandbox.work" else q for q in topology["queues"]],
        "bindings": [b for b in topology["bindings"] if b.get("destination") != "sandbox.work"],
    }
    result = run_module(changes, check=False)
    assert result.get("failed") is True, result
    assert result["msg"].startswith("applying the definitions failed: POST /api/definitions: HTTP 400"), result["msg"]
    assert result["msg"].endswith("the broker is as before this run"), result["msg"]
    assert result["failed_request"] == "POST /api/definitions"
    assert sorted(c["object"] for c in result["reverted"]) == [
        "users[monitoring]", "users[revert-user]", "vhosts[revert-me]"]
    assert "Revert-User-Pw-1" not in json.dumps(result)
    assert sorted_export(api("/api/definitions")) == before


# --- the role: nothing to do, and no API to do it through ------------------------------------------

ROLE_ALONE = """
- name: The definitions role alone, as a playbook of a user's would call it
  hosts: all
  gather_facts: false
  roles:
    - role: mqops.rabbitmq.rabbitmq_definitions
"""


def test_role_with_nothing_declared_leaves_the_broker_alone(host, api, tmp_path):
    """Nothing declared and nothing to purge: no request at all. The API URL
    here answers nothing; the role read the broker anyway and failed there
    ("cannot reach the management API") - with the management plugin left
    out of rabbitmq_server_plugins every run of playbooks/server.yml did."""
    playbook = tmp_path / "alone.yml"
    playbook.write_text(ROLE_ALONE)
    before = sorted_export(api("/api/definitions"))
    nothing = dict(("rabbitmq_definitions_" + kind, []) for kind in KINDS)
    nothing.update(rabbitmq_definitions_api_url="http://127.0.0.1:9/", rabbitmq_definitions_wait_timeout=1)
    result = probe.run_playbook(str(playbook), "-l", host.backend.host, "-e", json.dumps(nothing))
    assert probe.recap_changed(result.stdout) == 0
    assert "api_calls" not in result.output
    assert sorted_export(api("/api/definitions")) == before


def test_role_refuses_definitions_when_the_management_plugin_is_left_out(host, api, tmp_path):
    """The server role disables the plugins it is not given: declared
    definitions with rabbitmq_management left out are refused before any
    request (the run disabled the API, waited for it, and failed)."""
    playbook = tmp_path / "alone.yml"
    playbook.write_text(ROLE_ALONE)
    declared = {"rabbitmq_definitions_vhosts": [{"name": "never-created"}],
                "rabbitmq_server_plugins": ["rabbitmq_shovel", "rabbitmq_federation"]}
    result = probe.run_playbook(str(playbook), "-l", host.backend.host, "-e", json.dumps(declared), check=False)
    assert result.returncode != 0
    flat = " ".join(result.output.split())
    assert "rabbitmq_server_plugins leaves out rabbitmq_management (rabbitmq_shovel, rabbitmq_federation)" in flat, \
        result.output[-3000:]
    assert "api_calls" not in result.output
    assert "never-created" not in [v["name"] for v in api("/api/vhosts")]
