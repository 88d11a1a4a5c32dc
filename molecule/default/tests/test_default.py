"""The single node the default scenario converged, as the running broker reports it."""

import json
import os
import uuid

import pika
import pytest
import rabbitmq_probe as probe
import yaml

PROJECT_DIR = os.environ.get(
    "MOLECULE_PROJECT_DIRECTORY", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
)

DEFAULT_PLUGINS = {
    "rabbitmq_management",
    "rabbitmq_shovel",
    "rabbitmq_shovel_management",
    "rabbitmq_federation",
    "rabbitmq_federation_management",
}


@pytest.fixture(scope="module")
def hostvars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def status(host):
    return probe.node_status(host)


@pytest.fixture(scope="module")
def admin(hostvars):
    return hostvars.get("rabbitmq_server_admin_user", "admin"), hostvars["rabbitmq_server_admin_password"]


def test_service_enabled_and_running(host):
    service = host.service("rabbitmq-server")
    assert service.is_enabled
    assert service.is_running


@pytest.mark.parametrize("port", [5672, 15672, 25672])
def test_listener_is_open(host, status, port):
    listening = {int(line.split()[3].rsplit(":", 1)[1]) for line in host.check_output("ss -Hltn").splitlines()}
    assert port in listening
    assert port in {listener["port"] for listener in status["listeners"]}


def test_plugins_enabled_on_the_node(status, hostvars):
    wanted = set(hostvars.get("rabbitmq_server_plugins", DEFAULT_PLUGINS))
    assert wanted == DEFAULT_PLUGINS
    assert wanted <= set(status["active_plugins"])


def test_every_shipped_plugin_is_a_choice_of_the_role(host):
    """The argument spec's plugin choices cover what this series ships."""
    spec_path = os.path.join(PROJECT_DIR, "roles", "rabbitmq_server", "meta", "argument_specs.yml")
    with open(spec_path) as handle:
        spec = yaml.safe_load(handle)["argument_specs"]["main"]["options"]["rabbitmq_server_plugins"]
    shipped = set(host.check_output("rabbitmq-plugins -q list --minimal").split())
    assert shipped, "rabbitmq-plugins listed nothing"
    assert shipped - set(spec["choices"]) == set()


# What each Debian suite of the platforms ships: series and Erlang major.
SERIES = {"bookworm": ("3.10", 25), "trixie": ("4.0", 27), "forky": ("4.3", 29)}
CONVERGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "converge.yml")


def test_plugin_of_a_later_series_is_refused(host, status):
    """A 4.3 plugin name passes the argument spec but not the installed 4.0."""
    if not status["rabbitmq_version"].startswith("4.0."):
        # One code path for every series: one platform proves it (a playbook
        # run costs half a minute); 4.3 ships every name the role accepts.
        pytest.skip("checked on the RabbitMQ 4.0 platform")
    files = ["/etc/rabbitmq/enabled_plugins", "/etc/rabbitmq/rabbitmq.conf"]
    before = [host.file(f).content_string for f in files]
    plugins = sorted(DEFAULT_PLUGINS) + ["rabbitmq_queue_federation"]
    result = probe.run_playbook(
        CONVERGE, "--limit", host.backend.get_hostname(), "-e", json.dumps({"rabbitmq_server_plugins": plugins}), check=False
    )
    assert result.returncode != 0
    assert "rabbitmq_queue_federation, which RabbitMQ %s" % status["rabbitmq_version"] in " ".join(result.output.split())
    assert [host.file(f).content_string for f in files] == before


def test_files_changed_by_hand_are_put_back(host, status):
    """A re-run skips the configuration module only when the state read found every file as declared: a
    file changed by hand (its contents, or only its mode) differs, the run puts it back, and the run after
    it changes nothing."""
    if not status["rabbitmq_version"].startswith("4.0."):
        pytest.skip("checked on the RabbitMQ 4.0 platform (one code path for every series)")
    # Files the node reads at boot only (restart: false): put back without a restart.
    definitions, plugins = "/etc/rabbitmq/boot-definitions.json", "/etc/rabbitmq/enabled_plugins"
    before = {path: (host.file(path).content_string, host.file(path).mode) for path in (definitions, plugins)}
    host.check_output("echo '{}' > %s && chmod 0644 %s" % (definitions, plugins))
    result = probe.run_playbook(CONVERGE, "--limit", host.backend.get_hostname(), "-v")
    config = probe.task_output(result.stdout, "Check, then stage or write the node's configuration")
    assert "changed: [" in config and definitions in config and plugins in config, config[-3000:]
    assert {path: (host.file(path).content_string, host.file(path).mode) for path in (definitions, plugins)} == before
    # The plugins file written on a running node is applied with rabbitmq-plugins, which rewrites it in its
    # own way; the role writes it back, so the next run has nothing to do.
    again = probe.run_playbook(CONVERGE, "--limit", host.backend.get_hostname())
    assert probe.recap_changed(again.stdout) == 0, again.stdout[-3000:]


SERVER_TAGS = ["rabbitmq_install", "rabbitmq_config", "rabbitmq_service", "rabbitmq_users", "rabbitmq_tls"]


def test_each_documented_tag_runs_alone(host, status, hostvars):
    """The role's README gives each step a tag. A run limited to one tag must not trip over a decision
    that an unselected step records (it failed with '__rabbitmq_server_fresh_install is undefined'):
    with nothing to change, every such run changes nothing. A configuration change given with
    --tags rabbitmq_config alone is checked, written and applied - the node restarts with it (the
    service step that applies staged files carries that tag too) - and a full run puts it back. On a
    stopped node a run limited to the users step refuses, naming the step it left out."""
    if not status["rabbitmq_version"].startswith("4.0."):
        pytest.skip("checked on the RabbitMQ 4.0 platform (one code path for every series)")
    limit = host.backend.get_hostname()
    for tags in SERVER_TAGS + [",".join(SERVER_TAGS[1:3])]:
        result = probe.run_playbook(CONVERGE, "--limit", limit, "--tags", tags)
        assert probe.recap_changed(result.stdout) == 0, (tags, result.stdout[-3000:])
    declared = hostvars["rabbitmq_server_config_extra"]["channel_max"]
    channel_max = "application:get_env(rabbit, channel_max)."
    assert probe.node_eval(host, channel_max) == "{ok,%d}" % declared
    pid = host.check_output("systemctl show -p MainPID --value rabbitmq-server")
    extra = dict(hostvars["rabbitmq_server_config_extra"], channel_max=declared + 1)
    changed = probe.run_playbook(CONVERGE, "--limit", limit, "--tags", "rabbitmq_config",
                                 "-e", json.dumps({"rabbitmq_server_config_extra": extra}))
    assert probe.recap_changed(changed.stdout) > 0, changed.stdout[-3000:]
    assert probe.node_eval(host, channel_max) == "{ok,%d}" % (declared + 1)
    assert host.check_output("systemctl show -p MainPID --value rabbitmq-server") != pid
    assert "channel_max = %d" % (declared + 1) in host.file("/etc/rabbitmq/rabbitmq.conf").content_string
    # Back as declared (the next tests read the node as converged).
    probe.run_playbook(CONVERGE, "--limit", limit)
    assert probe.node_eval(host, channel_max) == "{ok,%d}" % declared
    again = probe.run_playbook(CONVERGE, "--limit", limit)
    assert probe.recap_changed(again.stdout) == 0, again.stdout[-3000:]
    # A stopped node and a run that leaves out the service step: the users step says why it cannot
    # work and changes nothing (it failed on the CLI's connection error); the service step heals it.
    host.check_output("systemctl stop rabbitmq-server")
    refused = probe.run_playbook(CONVERGE, "--limit", limit, "--tags", "rabbitmq_users", check=False)
    flat = " ".join(refused.output.split())
    assert refused.returncode != 0 and "is not running (the service was stopped)" in flat, refused.output[-3000:]
    assert "with rabbitmq_service among the tags" in flat and "export_definitions" not in flat
    assert host.run("systemctl is-active rabbitmq-server").stdout.strip() == "inactive"
    healed = probe.run_playbook(CONVERGE, "--limit", limit, "--tags", "rabbitmq_service")
    assert "healed: rabbit@%s - the service was stopped" % limit in " ".join(healed.output.split())
    assert probe.recap_changed(probe.run_playbook(CONVERGE, "--limit", limit, "--tags", "rabbitmq_users").stdout) == 0


def test_broker_version_and_metadata_store(host, status):
    codename = host.system_info.codename
    series, erlang = SERIES[codename]
    package = host.package("rabbitmq-server").version.split(":")[-1].split("-")[0]
    assert status["rabbitmq_version"] == package
    assert status["rabbitmq_version"].startswith(series + ".")
    otp = host.check_output("rabbitmqctl -q eval 'erlang:system_info(otp_release).'").strip('"')
    assert int(otp) == erlang
    flags = {f["name"]: f for f in json.loads(host.check_output("rabbitmqctl -q list_feature_flags --formatter json"))}
    if series == "4.3":
        # Khepri is the only metadata store from 4.3 on (required flag).
        assert flags["khepri_db"]["state"] == "enabled"
    print("%s: RabbitMQ %s on Erlang/OTP %s, khepri_db %s"
          % (codename, status["rabbitmq_version"], otp, flags.get("khepri_db", {}).get("state", "absent")))


def test_memory_high_watermark(host, status, hostvars):
    configured = hostvars["rabbitmq_server_memory_high_watermark"]["relative"]
    assert status["vm_memory_high_watermark_setting"] == {"relative": configured}
    total_kib = int(host.check_output("awk '/^MemTotal/ {print $2}' /proc/meminfo"))
    expected = total_kib * 1024 * configured
    assert abs(status["vm_memory_high_watermark_limit"] - expected) / expected < 0.01


def test_disk_free_limit(status, hostvars):
    configured = hostvars["rabbitmq_server_disk_free_limit"]["absolute"]
    assert status["disk_free_limit"] == probe.parse_amount(configured)


def test_open_file_limit_seen_by_the_vm(host, hostvars):
    configured = hostvars["rabbitmq_server_nofile_limit"]
    # file_handle_cache is gone in 4.3; rabbit_runtime has the same call there.
    ulimit = "try file_handle_cache:ulimit() catch error:undef -> rabbit_runtime:ulimit() end."
    assert int(probe.node_eval(host, ulimit)) == configured
    pid = host.check_output("systemctl show -p MainPID --value rabbitmq-server")
    beam = host.check_output("pgrep -P %s -f beam.smp || pgrep -f beam.smp | head -n1" % pid).split()[0]
    limits = host.file("/proc/%s/limits" % beam).content_string
    line = next(l for l in limits.splitlines() if l.startswith("Max open files"))
    assert int(line.split()[3]) == configured


def test_management_api_answers_for_admin(host, admin):
    address = probe.container_address(host)
    status_code, whoami = probe.http_get("http://%s:15672/api/whoami" % address, *admin)
    assert status_code == 200
    assert whoami["name"] == admin[0]
    assert "administrator" in (whoami["tags"] if isinstance(whoami["tags"], list) else whoami["tags"].split(","))


def test_guest_is_rejected(host):
    # From loopback, where guest could log in if it existed.
    code = host.check_output(
        "curl -s -o /dev/null -w '%{http_code}' -u guest:guest http://127.0.0.1:15672/api/whoami"
    )
    assert code == "401"
    users = json.loads(host.check_output("rabbitmqctl -q list_users --formatter json"))
    assert "guest" not in {u["user"] for u in users}


def test_persistent_message_survives_restart(host, admin):
    address = probe.container_address(host)
    queue = "molecule-durable-%s" % uuid.uuid4().hex[:8]
    body = ("persistent " + uuid.uuid4().hex).encode()

    connection = probe.amqp_connection(address, *admin)
    channel = connection.channel()
    channel.confirm_delivery()
    channel.queue_declare(queue=queue, durable=True)
    # With confirms on, basic_publish raises unless the broker confirms.
    channel.basic_publish(
        exchange="",
        routing_key=queue,
        body=body,
        properties=pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent),
        mandatory=True,
    )
    connection.close()

    host.check_output("systemctl restart rabbitmq-server")

    connection = probe.amqp_connection(address, *admin, attempts=60)
    try:
        channel = connection.channel()
        method, _properties, received = channel.basic_get(queue=queue, auto_ack=True)
        assert method is not None, "the message did not survive the restart"
        assert received == body
        channel.queue_delete(queue=queue)
    finally:
        connection.close()
