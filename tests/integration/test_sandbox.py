"""The sandbox's containers: two checkouts side by side, a broker already on
the machine's ports, and the documented way to take a sandbox down.

Only playbooks/sandbox.yml and playbooks/sandbox_destroy.yml run here (the
containers, their network and ports); site.yml converges RabbitMQ on them.
"""

import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent  # the tool chain's ansible-playbook


def run(playbook, inventory_dir, *extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
    env["ANSIBLE_NOCOLOR"] = "1"
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(inventory_dir / "hosts.yml"),
                             str(ROOT / "playbooks" / playbook)] + list(extra),
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result


def changed(result):
    return int(re.search(r"localhost\s*: ok=\d+\s+changed=(\d+)", result.stdout).group(1))


def containers(prefix):
    """{container name: [(host address, host port, container port)]} of a sandbox."""
    names = subprocess.run(["docker", "ps", "-a", "--filter", "name=^%s-" % prefix, "--format", "{{.Names}}"],
                           capture_output=True, text=True, check=True).stdout.split()
    found = {}
    for name in names:
        ports = json.loads(subprocess.run(["docker", "inspect", "-f", "{{json .NetworkSettings.Ports}}", name],
                                          capture_output=True, text=True, check=True).stdout)
        found[name] = sorted((b["HostIp"], int(b["HostPort"]), port) for port, binds in ports.items() for b in binds or [])
    return found


def network_exists(name):
    return subprocess.run(["docker", "network", "inspect", name], capture_output=True).returncode == 0


@pytest.fixture()
def checkouts(tmp_path):
    """Two copies of the sandbox inventory, as two checkouts of the repository have."""
    dirs = [tmp_path / name / "sandbox" for name in ("first", "second")]
    for path in dirs:
        shutil.copytree(ROOT / "inventories" / "sandbox", path, ignore=shutil.ignore_patterns(".secrets"))
    yield dirs
    for path in dirs:
        subprocess.run([str(BIN / "ansible-playbook"), "-i", str(path / "hosts.yml"), str(ROOT / "playbooks" / "sandbox_destroy.yml")],
                       cwd=ROOT, capture_output=True)


def sandbox_prefix(inventory_dir):
    out = subprocess.run([str(BIN / "ansible"), "-i", str(inventory_dir / "hosts.yml"), "localhost", "-m", "ansible.builtin.debug",
                          "-a", "var=mqops_sandbox_prefix"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return re.search(r'"?mqops_sandbox_prefix"?: "?([a-z0-9-]+)', out).group(1)


def test_two_sandboxes_beside_a_broker_on_the_usual_ports_then_taken_down(checkouts):
    # Something already listens on the usual AMQP and management ports.
    holders = []
    for port in (5672, 15672):
        holder = socket.socket()
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            holder.bind(("127.0.0.1", port))
            holder.listen(1)
            holders.append(holder)
        except OSError:  # already taken by something else: the point stands
            holder.close()
    try:
        prefixes = [sandbox_prefix(path) for path in checkouts]
        assert prefixes[0] != prefixes[1]
        for path in checkouts:
            run("sandbox.yml", path)
        seen_ports = []
        for prefix in prefixes:
            found = containers(prefix)
            assert sorted(found) == ["%s-%d" % (prefix, n) for n in (1, 2, 3)], found
            for bindings in found.values():
                assert sorted((ip, port) for ip, _host_port, port in bindings) == [("127.0.0.1", "15672/tcp"),
                                                                                   ("127.0.0.1", "5672/tcp")]
                seen_ports += [host_port for _ip, host_port, _port in bindings]
            assert network_exists(prefix)
        assert len(set(seen_ports)) == 12 and not {5672, 15672} & set(seen_ports), seen_ports
        # A second run changes nothing.
        assert changed(run("sandbox.yml", checkouts[0])) == 0
    finally:
        for holder in holders:
            holder.close()

    secrets = checkouts[0] / ".secrets"
    secrets.mkdir()
    (secrets / "admin_password").write_text("generated-by-site-yml")
    down = run("sandbox_destroy.yml", checkouts[0])
    assert changed(down) == 3
    assert containers(prefixes[0]) == {} and not network_exists(prefixes[0]) and not secrets.exists()
    # The other checkout's sandbox is untouched.
    assert len(containers(prefixes[1])) == 3 and network_exists(prefixes[1])
    assert changed(run("sandbox_destroy.yml", checkouts[0])) == 0
