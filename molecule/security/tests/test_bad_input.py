"""Bad input is refused before anything changes.

Each case re-runs this scenario's converge playbook (all three roles, as a
user would; the definitions role's cases its definitions.yml: the same
preflight, then that role alone) against the converged sec14 node (RabbitMQ
4.3, TLS only) with one mistake in the variables, and checks that:

* the run fails;
* the output names the variable or object and what is allowed;
* no secret given in the case's variables is printed;
* the node is unchanged: checksums of its configuration files, cookie and
  TLS files, the service's start time and main PID, and the broker's
  definitions export are identical before and after, and the recap reports
  nothing changed.

Cases are independent playbook runs, so they run a few at a time; every case
takes its own before/after snapshot, and a final check compares the node
with the state before the first case.
"""

import concurrent.futures
import hashlib
import json
import os
import subprocess
import tempfile
import time

import pytest
import rabbitmq_probe as probe
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERGE = os.path.join(HERE, "..", "converge.yml")
DEFINITIONS = os.path.join(HERE, "..", "definitions.yml")
NODE = "sec14"
WORKERS = 3

# A host in the node's cluster group that cannot be reached.
GHOST_INVENTORY = {
    "all": {
        "children": {
            "rabbitmq": {"hosts": {"ghost": None}},
            "secure_v4": {"hosts": {"ghost": None}},
        },
        "hosts": {
            "ghost": {
                "ansible_connection": "community.docker.docker",
                "ansible_host": "mqops-security-ghost-does-not-exist",
            }
        },
    }
}

SHORT_PASSWORD = "Sh0rt-pw"
# Cases that also run with -vvv: argument-spec failures of each role.
VERBOSE = {"server-type-error", "cluster-type-error", "definitions-type-error", "definitions-users-as-mapping"}
WRONG_COOKIE = "DIFFERENTCOOKIE0123456789abcdef"

# (id, extra vars, fragments the output must contain, secrets it must not)
CASES = [
    # --- rabbitmq_server --------------------------------------------------
    ("watermark-above-1", {"rabbitmq_server_memory_high_watermark": {"relative": 1.5}},
     ["rabbitmq_server_memory_high_watermark.relative", "at most 1"], []),
    ("watermark-zero", {"rabbitmq_server_memory_high_watermark": {"relative": 0}},
     ["rabbitmq_server_memory_high_watermark.relative", "above 0"], []),
    ("watermark-percent", {"rabbitmq_server_memory_high_watermark": {"relative": "60%"}},
     ["rabbitmq_server_memory_high_watermark", "relative", "float"], []),
    ("watermark-relative-and-absolute",
     {"rabbitmq_server_memory_high_watermark": {"relative": 0.4, "absolute": "2GB"}},
     ["mutually exclusive", "relative|absolute", "rabbitmq_server_memory_high_watermark"], []),
    ("watermark-absolute-unit", {"rabbitmq_server_memory_high_watermark": {"absolute": "lots"}},
     ["rabbitmq_server_memory_high_watermark.absolute", "GiB"], []),
    ("disk-limit-percent", {"rabbitmq_server_disk_free_limit": {"absolute": "10%"}},
     ["rabbitmq_server_disk_free_limit.absolute", "Percentages are not accepted"], []),
    ("plugin-typo", {"rabbitmq_server_plugins": ["rabbitmq_managment"]},
     ["rabbitmq_server_plugins", "rabbitmq_managment", "rabbitmq_management"], []),
    ("port-not-a-number", {"rabbitmq_server_amqp_port": "five"},
     ["rabbitmq_server_amqp_port", "int"], []),
    ("port-out-of-range", {"rabbitmq_server_tls_amqp_port": 70000},
     ["rabbitmq_server_tls_amqp_port", "from 1 to 65535"], []),
    ("port-clash", {"rabbitmq_server_tls_management_port": 5671},
     ["rabbitmq_server_tls_management_port", "must differ"], []),
    ("nofile-too-high", {"rabbitmq_server_nofile_limit": 10000000},
     ["rabbitmq_server_nofile_limit", "1048576"], []),
    ("cookie-alphabet", {"rabbitmq_server_erlang_cookie": "short-cookie!"},
     ["rabbitmq_server_erlang_cookie", "20 to 255", "letters and digits"], ["short-cookie!"]),
    ("cookie-differs-from-cluster", {"rabbitmq_server_erlang_cookie": WRONG_COOKIE},
     ["rabbitmq_server_erlang_cookie", "rabbitmq_server_erlang_cookie_rotate"], [WRONG_COOKIE]),
    ("admin-password-missing", {"rabbitmq_server_admin_password": ""},
     ["rabbitmq_server_admin_password", "non-empty"], []),
    ("admin-password-short", {"rabbitmq_server_admin_password": SHORT_PASSWORD},
     ["rabbitmq_server_admin_password", "rabbitmq_server_min_password_length"], [SHORT_PASSWORD]),
    ("server-variable-misspelled", {"rabbitmq_server_memory_high_watermak": {"relative": 0.5}},
     ["rabbitmq_server_memory_high_watermak", "did you mean rabbitmq_server_memory_high_watermark"], []),
    ("guest-user-choice", {"rabbitmq_server_guest_user": "keep"},
     ["rabbitmq_server_guest_user", "absent", "loopback_only"], []),
    ("partition-handling-choice", {"rabbitmq_server_cluster_partition_handling": "pause_majority"},
     ["rabbitmq_server_cluster_partition_handling", "pause_minority", "autoheal"], []),
    ("auth-mechanism-unknown", {"rabbitmq_server_auth_mechanisms": ["PLAIN", "KERBEROS"]},
     ["rabbitmq_server_auth_mechanisms", "KERBEROS", "AMQPLAIN"], []),
    ("tls-version-unknown", {"rabbitmq_server_tls_versions": ["sslv3"]},
     ["rabbitmq_server_tls_versions", "tlsv1.2"], []),
    ("tls-key-missing", {"rabbitmq_server_tls_key": ""},
     ["rabbitmq_server_tls_key", "exactly one of"], []),
    ("tls-cert-file-missing", {"rabbitmq_server_tls_cert_file": "/nonexistent/cert.pem"},
     ["rabbitmq_server_tls_cert", "/nonexistent/cert.pem is not a file"], []),
    ("tls-key-not-pem", {"rabbitmq_server_tls_key": "not a key"},
     ["rabbitmq_server_tls_key", "PRIVATE KEY"], ["not a key"]),
    ("plain-closed-without-tls", {"rabbitmq_server_tls_enabled": False},
     ["rabbitmq_server_amqp_tcp_enabled", "rabbitmq_server_tls_enabled"], []),
    ("peer-cert-without-verify",
     {"rabbitmq_server_tls_fail_if_no_peer_cert": True, "rabbitmq_server_tls_verify": "verify_none"},
     ["rabbitmq_server_tls_fail_if_no_peer_cert", "verify_peer"], []),
    ("node-name-with-space", {"rabbitmq_server_node_name": "rabbit@sec 13"},
     ["rabbitmq_server_node_name", "no spaces"], []),
    # The server role would disable the API the definitions go through.
    ("definitions-without-management-plugin",
     {"rabbitmq_server_plugins": ["rabbitmq_shovel", "rabbitmq_federation"], "rabbitmq_definitions_vhosts": [{"name": "secure"}]},
     ["rabbitmq_server_plugins leaves out rabbitmq_management (rabbitmq_shovel, rabbitmq_federation)",
      "rabbitmq_definitions_api_url"], []),
    ("plugins-as-a-string", {"rabbitmq_server_plugins": "rabbitmq_management"},
     ["rabbitmq_server_plugins must be a list"], []),
    ("version-as-a-number", {"rabbitmq_server_version": 4.3},
     ["rabbitmq_server_version", "(a YAML number)", "a quoted string"], []),
    ("erlang-version-typo", {"rabbitmq_server_erlang_version": "26.2*"},
     ["rabbitmq_server_erlang_version", "epoch"], []),
    ("package-source-typo", {"rabbitmq_server_package_source": "upstrem"},
     ["rabbitmq_server_package_source", "distribution, upstream"], []),
    ("server-type-error", {"rabbitmq_server_tls_enabled": "yes please"},
     ["rabbitmq_server_tls_enabled", "bool"], []),
    # Passes the argument spec, refused by the installed RabbitMQ's own
    # config translation (cuttlefish schemas) before any file is replaced.
    ("config-extra-unknown-key", {"rabbitmq_server_config_extra": {"vm_memory_high_watermark.relativ": 0.5}},
     ["rabbitmq.conf", "unknown variable: vm_memory_high_watermark.relativ",
      "did you mean vm_memory_high_watermark.relative", "rabbitmq_server_config_extra"], []),
    ("config-extra-bad-value", {"rabbitmq_server_config_extra": {"log.file.level": "loud"}},
     ["rabbitmq.conf", "log.file.level", "loud", "not a valid enum value", "rabbitmq_server_config_extra"], []),
    ("advanced-config-broken", {"rabbitmq_server_advanced_config": "[{rabbit, [{collect_statistics_interval, 10000}]}"},
     ["advanced.config", "syntax error", "rabbitmq_server_advanced_config"], []),
    ("env-extra-not-shell", {"rabbitmq_server_env_extra": {"SERVER_ADDITIONAL_ERL_ARGS": "\"+P 2000000"}},
     ["rabbitmq-env.conf", "not valid shell", "rabbitmq_server_env_extra"], []),
    # Accepted by cuttlefish, which would keep one of the two values without
    # a word: refused by the role's own reading of the new rabbitmq.conf.
    ("config-extra-key-the-role-writes", {"rabbitmq_server_config_extra": {"vm_memory_high_watermark.relative": 0.6}},
     ["vm_memory_high_watermark.relative is set by rabbitmq_server_config_extra and by the role",
      "vm_memory_high_watermark.relative = 0.4"], []),
    ("config-extra-absolute-beside-relative", {"rabbitmq_server_config_extra": {"disk_free_limit.relative": 1.5}},
     ["disk_free_limit.relative and disk_free_limit.absolute are both set",
      "remove disk_free_limit.relative from rabbitmq_server_config_extra"], []),
    ("config-extra-listener-with-tcp-closed", {"rabbitmq_server_config_extra": {"listeners.tcp.2": 5673}},
     ["listeners.tcp = none", "rabbitmq_server_config_extra set listeners.tcp.2"], []),
    # The node name has its own variable; a NODENAME here renamed the node at
    # its restart (the canary then failed and was rolled back).
    ("env-extra-node-name", {"rabbitmq_server_env_extra": {"NODENAME": "rabbit@elsewhere", "RABBITMQ_CONFIG_FILE": "/tmp/c"}},
     ["rabbitmq_server_env_extra names NODENAME, RABBITMQ_CONFIG_FILE", "rabbitmq_server_node_name"], []),
    ("tls-cert-key-mismatch", {"rabbitmq_server_tls_cert_file": "{{ security_tls_dir }}/sec12.pem"},
     ["private key does not belong to the certificate", "rabbitmq_server_tls_cert", "rabbitmq_server_tls_key"], []),
    ("tls-cert-expired", {"rabbitmq_server_tls_cert_file": "{{ security_tls_dir }}/sec14-expired.pem"},
     ["the certificate has expired", "rabbitmq_server_tls_cert"], []),
    # sec14's HTTPS listener requires a client certificate (mutual TLS).
    ("api-client-cert-without-key", {"rabbitmq_server_api_client_key": ""},
     ["rabbitmq_server_api_client_cert and rabbitmq_server_api_client_key go together"], []),
    ("api-client-key-not-the-certificates", {"rabbitmq_server_api_client_key": "/etc/rabbitmq/tls/key.pem"},
     ["rabbitmq_server_api_client_key /etc/rabbitmq/tls/key.pem on sec14",
      "not the private key of the certificate in /etc/mqops/api-client/cert.pem"], []),
    ("api-client-cert-missing-with-mtls",
     {"rabbitmq_server_api_client_cert": "", "rabbitmq_server_api_client_key": ""},
     ["rabbitmq_server_tls_management_fail_if_no_peer_cert=true", "rabbitmq_server_api_client_cert",
      "rabbitmq_server_api_client_key"], []),
    # --- rabbitmq_cluster -------------------------------------------------
    # The preflight (gathering facts) stops every host when a member cannot
    # be reached; Ansible names the host (the docker connection reports a
    # missing container as a failure, SSH as unreachable).
    ("cluster-member-unreachable", "ghost",
     ["fatal: [ghost]", "No such container"], []),
    ("cluster-group-without-this-host", {"rabbitmq_cluster_group": "secure_v3"},
     ["rabbitmq_cluster_group", "secure_v3"], []),
    ("cluster-variable-misspelled", {"rabbitmq_cluster_alow_reset": True},
     ["rabbitmq_cluster_alow_reset", "did you mean rabbitmq_cluster_allow_reset"], []),
    ("cluster-type-error", {"rabbitmq_cluster_timeout": "soon"},
     ["rabbitmq_cluster_timeout", "int"], []),
]

# The definitions role's cases run DEFINITIONS (preflight, then the
# definitions role alone) instead of the whole converge: most of them are
# refused by the definitions module's own validation, which reads the broker
# first, so the full converge ran the server and cluster roles (nothing to
# change) before each refusal - about 20 s of sec14's TLS no-op per case.
DEFINITIONS_CASES = [
    ("policy-regex-invalid",
     {"rabbitmq_definitions_policies": [
         {"vhost": "secure", "name": "broken", "pattern": "([", "definition": {"max-length": 10}}]},
     ["policies", "broken", "pattern", "invalid regular expression"], []),
    ("permission-regex-invalid",
     {"rabbitmq_definitions_permissions": [
         {"user": "app", "vhost": "secure", "configure": "*app", "write": ".*", "read": ".*"}]},
     ["permissions", "configure", "invalid regular expression"], []),
    ("ha-mode-on-4x",
     {"rabbitmq_definitions_policies": [
         {"vhost": "secure", "name": "mirror", "pattern": ".*", "definition": {"ha-mode": "all"}}]},
     ["mirror", "ha-mode"], []),
    ("shovel-without-destination",
     {"rabbitmq_definitions_shovels": [
         {"vhost": "secure", "name": "nowhere", "src_uri": "amqp://", "src_queue": "outbox"}]},
     ["shovels", "nowhere", "destination"], []),
    ("duplicate-users",
     {"rabbitmq_definitions_users": [
         {"name": "twin", "password": "Twin-Password-1", "tags": []},
         {"name": "twin", "password": "Twin-Password-2", "tags": []}]},
     ["users", "twin"], ["Twin-Password-1", "Twin-Password-2"]),
    ("user-tag-unknown",
     {"rabbitmq_definitions_users": [{"name": "ops", "password": "Ops-Password-123", "tags": ["admin"]}]},
     ["users[ops].tags", "unknown tag 'admin'", "administrator"], ["Ops-Password-123"]),
    ("user-password-short",
     {"rabbitmq_definitions_users": [{"name": "ops", "password": SHORT_PASSWORD, "tags": []}]},
     ["users[ops].password", "min_password_length"], [SHORT_PASSWORD]),
    ("quorum-group-larger-than-cluster",
     {"rabbitmq_definitions_queues": [
         {"vhost": "secure", "name": "orders", "type": "quorum",
          "arguments": {"x-quorum-initial-group-size": 3}}]},
     ["x-quorum-initial-group-size", "larger than the cluster", "allowed: 1"], []),
    ("permission-for-unknown-vhost",
     {"rabbitmq_definitions_permissions": [
         {"user": "app", "vhost": "nowhere", "configure": ".*", "write": ".*", "read": ".*"}]},
     ["permissions", "nowhere", "neither declared nor existing"], []),
    ("definitions-variable-misspelled", {"rabbitmq_definitions_user": []},
     ["rabbitmq_definitions_user", "did you mean rabbitmq_definitions_users"], []),
    ("definitions-api-client-key-missing", {"rabbitmq_definitions_api_client_key": "/nonexistent/api-client.key"},
     ["rabbitmq_definitions_api_client_key /nonexistent/api-client.key on sec14: no such file"], []),
    # Valid input, but the listener requires what it no longer presents: the
    # definitions role is refused at its first (read-only) request, at once.
    ("definitions-without-client-cert",
     {"rabbitmq_definitions_api_client_cert": "", "rabbitmq_definitions_api_client_key": ""},
     ["reading the broker state failed", "cannot reach the management API",
      "the listener requires a client certificate"], []),
    # Argument-spec failures used to print the spec with the API password's
    # default rendered: these three also run with -vvv.
    ("definitions-type-error", {"rabbitmq_definitions_policies": [
        {"vhost": "secure", "name": "p", "pattern": ".*", "definition": {"max-length": 1}, "priority": "high"}]},
     ["priority", "int", "rabbitmq_definitions_policies"], []),
    ("definitions-users-as-mapping", {"rabbitmq_definitions_users": {"name": "ops", "password": "Ops-Password-123"}},
     ["rabbitmq_definitions_users", "list"], ["Ops-Password-123"]),
    ("queue-argument-wrong-type",
     {"rabbitmq_definitions_queues": [{"vhost": "secure", "name": "capped", "arguments": {"x-max-length": "1000"}}]},
     ["queues[vhost=secure, name=capped].arguments.x-max-length", "'1000' is not allowed", "a whole number"], []),
    ("queue-argument-for-other-type",
     {"rabbitmq_definitions_queues": [
         {"vhost": "secure", "name": "urgent", "type": "quorum", "arguments": {"x-max-priority": 10}}]},
     ["queues[vhost=secure, name=urgent].arguments.x-max-priority", "not an argument of quorum queues"], []),
    ("policy-value-wrong-type",
     {"rabbitmq_definitions_policies": [
         {"vhost": "secure", "name": "ttl", "pattern": "^app\\.", "definition": {"message-ttl": "1h"}}]},
     ["policies[vhost=secure, name=ttl].definition.message-ttl", "'1h' is not allowed", "milliseconds"], []),
    ("empty-vhost-name", {"rabbitmq_definitions_vhosts": [{"name": "secure"}, {"name": ""}]},
     ["vhosts[1].name", "must not be empty"], []),
    ("shovel-uri-invalid",
     {"rabbitmq_definitions_shovels": [
         {"vhost": "secure", "name": "broken", "src_uri": "amqp://shovel:Shovel-Uri-Secret-1@localhost:99999/secure",
          "src_queue": "outbox", "dest_uri": "amqp://", "dest_queue": "inbox"}]},
     ["shovels[vhost=secure, name=broken].src_uri[0]", "not a valid AMQP URI", "port"], ["Shovel-Uri-Secret-1"]),
    ("admin-declared-with-other-password",
     {"rabbitmq_definitions_users": [{"name": "admin", "password": "Other-Admin-Pw-123", "tags": ["administrator"]}]},
     ["users[admin].password", "rabbitmq_definitions_users", "rabbitmq_definitions_api_password",
      "rabbitmq_server_admin_password"], ["Other-Admin-Pw-123"]),
    ("admin-declared-absent", {"rabbitmq_definitions_users": [{"name": "admin", "state": "absent"}]},
     ["users[admin]", "cannot be deleted", "rabbitmq_definitions_users"], []),
    ("limit-not-a-number", {"rabbitmq_definitions_vhost_limits": [{"vhost": "secure", "max_connections": "many"}]},
     ["rabbitmq_definitions_vhost_limits", "max_connections", "int"], []),
]
CASES = CASES + DEFINITIONS_CASES
DEFINITIONS_IDS = {case[0] for case in DEFINITIONS_CASES}


def _admin_password():
    return probe.inventory_vars(NODE)["rabbitmq_server_admin_password"]


SNAPSHOT_SCRIPT = r"""
set -e
find /etc/rabbitmq /etc/systemd/system/rabbitmq-server.service.d /var/lib/rabbitmq/.erlang.cookie \
     -type f -print0 | sort -z | xargs -0 sha256sum
systemctl show -p ActiveEnterTimestampMonotonic -p MainPID -p NRestarts rabbitmq-server
python3 - <<'EOF'
import base64, os, ssl, urllib.request
context = ssl.create_default_context(cafile="/etc/rabbitmq/tls/ca.pem")
# The HTTPS listener requires a client certificate (mutual TLS).
context.load_cert_chain(os.environ["MQOPS_CLIENT_CERT"], os.environ["MQOPS_CLIENT_KEY"])
request = urllib.request.Request("https://localhost:15671/api/definitions")
token = base64.b64encode(("admin:" + os.environ["MQOPS_PW"]).encode()).decode()
request.add_header("Authorization", "Basic " + token)
body = urllib.request.urlopen(request, context=context, timeout=30).read()
import hashlib, json
data = json.loads(body)
print("definitions", hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest())
EOF
"""


def snapshot():
    """Checksums of the node's files, its start time and its definitions."""
    variables = probe.inventory_vars(NODE)
    return subprocess.run(
        ["docker", "exec", "-i", "-e", "MQOPS_PW=" + _admin_password(),
         "-e", "MQOPS_CLIENT_CERT=" + variables["rabbitmq_server_api_client_cert"],
         "-e", "MQOPS_CLIENT_KEY=" + variables["rabbitmq_server_api_client_key"], NODE, "bash", "-s"],
        input=SNAPSHOT_SCRIPT, capture_output=True, text=True, check=True, timeout=60,
    ).stdout


def _run_case(case):
    case_id, variables, _expect, _secrets = case
    with tempfile.TemporaryDirectory() as tmp:
        extra = ["-l", NODE]
        if variables == "ghost":
            ghost = os.path.join(tmp, "ghost.yml")
            with open(ghost, "w") as handle:
                yaml.safe_dump(GHOST_INVENTORY, handle)
            extra = ["-i", ghost, "-l", NODE + ",ghost"]
        else:
            vars_file = os.path.join(tmp, "vars.json")
            with open(vars_file, "w") as handle:
                json.dump(variables, handle)
            extra += ["-e", "@" + vars_file]
        if case_id in VERBOSE:
            extra.append("-vvv")
        before = snapshot()
        started = time.monotonic()
        playbook = DEFINITIONS if case_id in DEFINITIONS_IDS else CONVERGE
        result = probe.run_playbook(playbook, *extra, check=False)
        result.seconds = time.monotonic() - started
        after = snapshot()
    return case_id, result, before, after


@pytest.fixture(scope="module")
def outcomes():
    initial = snapshot()
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = dict((case_id, (result, before, after))
                       for case_id, result, before, after in pool.map(_run_case, CASES))
    final = snapshot()
    return initial, results, final


def test_at_least_25_distinct_bad_inputs():
    assert len(CASES) >= 25
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_refused_and_changes_nothing(outcomes, case, record_property):
    case_id, _variables, expect, secrets = case
    result, before, after = outcomes[1][case_id]
    # The playbook run's own time (the cases run WORKERS at a time): in the JUnit report.
    record_property("playbook_seconds", round(result.seconds, 1))
    output = result.output
    assert result.returncode != 0, "%s: the run did not fail\n%s" % (case_id, output[-3000:])
    flat = " ".join(output.split())
    for fragment in expect:
        assert fragment in flat, "%s: %r not in the output:\n%s" % (case_id, fragment, output[-4000:])
    for secret in secrets + [_admin_password()]:
        assert secret not in output, "%s: a secret was printed" % case_id
    assert probe.recap_changed(output) == 0, "%s: a task reported changed" % case_id
    assert before == after, "%s: the node changed" % case_id


def test_node_identical_after_all_cases(outcomes):
    initial, _results, final = outcomes
    assert "definitions" in initial
    assert initial == final
    assert hashlib.sha256(initial.encode()).hexdigest() == hashlib.sha256(final.encode()).hexdigest()
