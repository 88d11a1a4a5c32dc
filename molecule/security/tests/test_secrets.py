"""Secrets never show: not in -vvv output, not in --diff, not left in temp files.

Runs the converge playbook twice with -vvv --diff against both nodes: once
rotating every secret (Erlang cookie, application and shovel passwords, so
the shovel URIs with credentials change too), once rotating them back. Both
runs change things (passwords, runtime parameters, a restart for the cookie).
Then no secret value, old or new, may appear in the output, in any file under
the nodes' /tmp, /var/tmp and /root/.ansible, or under the controller's
~/.ansible (outside molecule's own inventory directory, which is where this
scenario stores its secrets, like a vault would).
"""

import hashlib
import os
import subprocess
import tempfile

import pytest
import rabbitmq_probe as probe
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERGE = os.path.join(HERE, "..", "converge.yml")
NODES = ("sec12", "sec14")
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")

ROTATED = {
    "rabbitmq_server_erlang_cookie": "ROTATEDSECURITYCOOKIE987654321",
    "rabbitmq_server_erlang_cookie_rotate": True,
    "security_passwords": {"app": "Rotated-App-Pw-7b1e", "shovel": "Rotated-Shovel-Pw-2f8a"},
}


def _original():
    with open(os.path.join(HERE, "..", "vars", "topology.yml")) as handle:
        passwords = yaml.safe_load(handle)["security_passwords"]
    with open(os.path.join(HERE, "..", "molecule.yml")) as handle:
        cookie = yaml.safe_load(handle)["provisioner"]["inventory"]["group_vars"]["rabbitmq"][
            "rabbitmq_server_erlang_cookie"]
    return {
        "rabbitmq_server_erlang_cookie": cookie,
        "rabbitmq_server_erlang_cookie_rotate": True,
        "security_passwords": passwords,
    }


def _secrets(hostvars_by_node):
    values = set()
    for variables in (ROTATED, _original()):
        values.add(variables["rabbitmq_server_erlang_cookie"])
        values.update(variables["security_passwords"].values())
    for hostvars in hostvars_by_node.values():
        values.add(hostvars["rabbitmq_server_admin_password"])
        # The private key: every base64 line of its body.
        key = open(os.path.join(EPHEMERAL, "tls", hostvars["inventory_hostname"] + ".key")).read()
        values.update(line for line in key.splitlines() if line and not line.startswith("-----"))
    # The management API client's key (the roles pass its path, never its contents).
    key = open(os.path.join(EPHEMERAL, "tls", "api-client.key")).read()
    values.update(line for line in key.splitlines() if line and not line.startswith("-----"))
    return sorted(values)


def _run(variables):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "secrets.yml")
        with open(path, "w") as handle:
            yaml.safe_dump(variables, handle)
        return probe.run_playbook(CONVERGE, "-vvv", "--diff", "-e", "@" + path)


@pytest.fixture(scope="module")
def runs():
    hostvars = dict((node, dict(probe.inventory_vars(node), inventory_hostname=node)) for node in NODES)
    rotated = _run(ROTATED)
    restored = _run(_original())
    return _secrets(hostvars), [rotated, restored]


def test_both_runs_changed_things(runs):
    _secrets_, results = runs
    for result in results:
        assert probe.recap_changed(result.output) > 0
        # the cookie rotation stopped the nodes, which started again
        assert "Stop the node to rotate its Erlang cookie" in result.output
        assert "changed: [sec12]" in result.output and "changed: [sec14]" in result.output


def test_no_secret_in_the_output(runs):
    secrets, results = runs
    assert len(secrets) >= 8
    for result in results:
        for secret in secrets:
            assert secret not in result.output, "a secret (%d chars) was printed" % len(secret)


@pytest.mark.parametrize("node", NODES)
def test_no_secret_left_in_the_nodes_temp_files(runs, node):
    secrets, _results = runs
    patterns = "\n".join(secrets)
    found = subprocess.run(
        ["docker", "exec", "-i", node, "sh", "-c",
         "grep -rlsF -f /dev/stdin /tmp /var/tmp /root/.ansible || true"],
        input=patterns + "\n", capture_output=True, text=True, check=True,
    ).stdout.split()
    assert not found, found


def test_no_secret_left_in_the_controllers_ansible_dir(runs):
    secrets, _results = runs
    root = os.path.expanduser("~/.ansible")
    leaks = []
    for directory, dirs, files in os.walk(root):
        # molecule's per-scenario directories hold the inventories, which is
        # where these test secrets are stored (as a vault would hold them).
        if os.path.basename(os.path.dirname(directory)) == "tmp" and os.path.basename(directory).startswith(
                "molecule."):
            dirs[:] = []
            continue
        for name in files:
            path = os.path.join(directory, name)
            try:
                with open(path, "rb") as handle:
                    content = handle.read(20_000_000)
            except OSError:
                continue
            if any(secret.encode() in content for secret in secrets):
                leaks.append(path)
    assert not leaks, leaks


def test_cluster_healthy_after_rotating_back(runs):
    for node in NODES:
        out = subprocess.run(
            ["docker", "exec", node, "rabbitmq-diagnostics", "-q", "check_running"],
            capture_output=True, text=True,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        cookie = subprocess.run(["docker", "exec", node, "sha1sum", "/var/lib/rabbitmq/.erlang.cookie"],
                                capture_output=True, text=True, check=True).stdout.split()[0]
        assert cookie == hashlib.sha1(_original()["rabbitmq_server_erlang_cookie"].encode()).hexdigest()
