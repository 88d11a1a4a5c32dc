"""The ansible-core range the collection declares (meta/runtime.yml), tested.

The molecule scenarios run the newest supported ansible-core (2.19,
requirements-dev.txt). The older ones, pinned in requirements-core.txt, are
installed by `make prepare` into .venv/core-<major.minor>/: on each, the unit
tests pass; on the oldest, the server, cluster and definitions roles
converge a Debian 13 node (RabbitMQ 4.0), a second run changes nothing, and
a wrongly typed variable is refused with its name before anything changes.
"""

import json
import os
import pathlib
import re
import subprocess
import sysconfig
import textwrap

import pytest
from conftest import systemd_container
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("MQOPS_IMAGE_DEBIAN13", "mqops/debian-systemd:13")
PINS = re.findall(r"^ansible-core==(\S+)", (ROOT / "requirements-core.txt").read_text(), re.M)
OLDEST = min(PINS, key=lambda v: tuple(int(p) for p in v.split(".")))
# community.docker (the containers' connection plugin) from the `ansible`
# package of the tool chain: it supports ansible-core 2.15 and later.
BUNDLED = sysconfig.get_paths()["purelib"]


def venv(version):
    path = ROOT / ".venv" / ("core-%s" % ".".join(version.split(".")[:2]))
    if not (path / "bin" / "ansible-playbook").exists():
        pytest.fail("%s is missing: run `make prepare` (it installs requirements-core.txt)" % path)
    return path


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
    env.update(ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    return env


def test_requires_ansible_is_the_oldest_tested_release():
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    assert runtime["requires_ansible"] == ">=%s.0" % ".".join(OLDEST.split(".")[:2])
    for role in (ROOT / "roles").iterdir():
        meta = yaml.safe_load((role / "meta" / "main.yml").read_text())
        assert str(meta["galaxy_info"]["min_ansible_version"]) == ".".join(OLDEST.split(".")[:2]), role.name


@pytest.mark.parametrize("version", PINS)
def test_unit_tests_pass_on(version):
    python = venv(version) / "bin" / "python"
    reported = subprocess.run([str(python), "-c", "import ansible.release as r; print(r.__version__)"],
                              capture_output=True, text=True, check=True).stdout.strip()
    assert reported == version
    result = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit"], cwd=ROOT,
                            env=clean_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1]


@pytest.fixture()
def node():
    with systemd_container("mqops-core", IMAGE) as name:
        yield name


ADMIN_PASSWORD = "core-Floor-Admin-Pw-1"
APP_PASSWORD = "core-Floor-App-Pw-12"


def test_roles_converge_idempotently_and_refuse_bad_input_on_the_oldest(node, tmp_path):
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump({"rabbitmq": {
        "hosts": {node: None},
        "vars": {
            "ansible_connection": "community.docker.docker",
            "rabbitmq_server_admin_password": ADMIN_PASSWORD,
            "rabbitmq_server_nofile_limit": 16384,
            "rabbitmq_definitions_vhosts": [{"name": "shop"}],
            "rabbitmq_definitions_users": [{"name": "shop-app", "password": APP_PASSWORD, "tags": []}],
            "rabbitmq_definitions_permissions": [{"user": "shop-app", "vhost": "shop", "configure": ".*",
                                                  "write": ".*", "read": ".*"}],
            "rabbitmq_definitions_queues": [{"name": "orders", "vhost": "shop",
                                             "arguments": {"x-queue-type": "quorum"}}],
        },
    }}))
    (tmp_path / "site.yml").write_text(textwrap.dedent("""\
        - name: Converge with the oldest supported ansible-core
          hosts: rabbitmq
          roles:
            - mqops.rabbitmq.rabbitmq_server
            - mqops.rabbitmq.rabbitmq_cluster
            - mqops.rabbitmq.rabbitmq_definitions
        """))
    env = dict(clean_env(), ANSIBLE_COLLECTIONS_PATH="%s:%s" % (ROOT / "collections", BUNDLED),
               ANSIBLE_INJECT_FACT_VARS="false")
    playbook = str(venv(OLDEST) / "bin" / "ansible-playbook")

    def run(*extra):
        result = subprocess.run([playbook, "-i", "inventory.yml", "site.yml"] + list(extra), cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=1200)
        result.flat = " ".join((result.stdout + result.stderr).split())
        assert ADMIN_PASSWORD not in result.flat and APP_PASSWORD not in result.flat
        return result

    version = subprocess.run([playbook, "--version"], capture_output=True, text=True, check=True).stdout
    assert "[core %s]" % OLDEST in version, version

    first = run()
    assert first.returncode == 0, first.stdout[-5000:]
    second = run("--diff")
    assert second.returncode == 0, second.stdout[-5000:]
    assert re.search(r"%s\s*: ok=\d+\s+changed=0\s+unreachable=0\s+failed=0" % re.escape(node), second.stdout), \
        second.stdout[-5000:]

    def rabbitmqctl(*args):
        out = subprocess.run(["docker", "exec", node, "rabbitmqctl", "-q"] + list(args) + ["--formatter", "json"],
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out)

    queues = {q["name"]: q["type"] for q in rabbitmqctl("list_queues", "-p", "shop", "name", "type")}
    assert queues == {"orders": "quorum"}
    assert {u["user"] for u in rabbitmqctl("list_users")} == {"admin", "shop-app"}
    config = subprocess.run(["docker", "exec", node, "cat", "/etc/rabbitmq/rabbitmq.conf",
                             "/etc/rabbitmq/boot-definitions.json"], capture_output=True, text=True, check=True).stdout
    assert "vm_memory_high_watermark.relative = 0.4" in config
    assert '{"vhosts": [{"name": "/"}]}' in config

    # A typo in a type: refused, named, nothing changed, no secret printed.
    before = subprocess.run(["docker", "exec", node, "sha256sum", "/etc/rabbitmq/rabbitmq.conf"],
                            capture_output=True, text=True, check=True).stdout
    bad = run("-e", json.dumps({"rabbitmq_server_amqp_port": "five-six-seven-two"}))
    assert bad.returncode != 0
    assert "rabbitmq_server_amqp_port" in bad.flat, bad.flat[-3000:]
    assert re.search(r"changed=0\s+unreachable=0\s+failed=1", bad.stdout), bad.stdout[-3000:]
    after = subprocess.run(["docker", "exec", node, "sha256sum", "/etc/rabbitmq/rabbitmq.conf"],
                           capture_output=True, text=True, check=True).stdout
    assert after == before
