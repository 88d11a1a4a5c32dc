"""The collection as a user gets it: built, installed by ansible-galaxy into a
fresh project from its requirements.yml (offline: the built tarball), and its
server role converging a container when called by FQCN.
"""

import json
import os
import pathlib
import shutil
import subprocess
import tarfile
import textwrap

import pytest
from conftest import systemd_container
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
IMAGE = os.environ.get("MQOPS_IMAGE_DEBIAN12", "mqops/debian-systemd:12")
FORBIDDEN_TOP = {"tests", "molecule", "inventories", "collections", ".ci", "bench", "tools", ".venv", "site.yml",
                 "execution-environment.yml"}


def _clean_env():
    """The environment of a user's shell: none of this checkout's Ansible settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
    env["ANSIBLE_FORCE_COLOR"] = "0"
    return env


def _run(cmd, cwd, **kwargs):
    result = subprocess.run(cmd, cwd=cwd, env=_clean_env(), capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, "%s failed:\n%s\n%s" % (" ".join(cmd), result.stdout[-4000:], result.stderr[-4000:])
    return result


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    _run(["ansible-galaxy", "collection", "build", str(ROOT), "--output-path", str(out)], cwd=out)
    path = out / ("%s-%s-%s.tar.gz" % (GALAXY["namespace"], GALAXY["name"], GALAXY["version"]))
    assert path.exists()
    return path


def test_artifact_has_roles_and_plugins_but_no_tests(tarball):
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    top = {n.split("/", 1)[0] for n in names}
    assert not top & FORBIDDEN_TOP, "build_ignore misses %s" % sorted(top & FORBIDDEN_TOP)
    # The sandbox needs community.docker and an inventory that is not shipped.
    assert "playbooks/sandbox.yml" not in names and "playbooks/sandbox_destroy.yml" not in names
    assert "playbooks/server.yml" in names
    # Release notes ship (changelog.yaml feeds the Ansible package's combined
    # changelog); changelog fragments and antsibull-changelog's config do not.
    assert not [n for n in names if n.startswith(("changelogs/fragments", "changelogs/config.yaml", "changelogs/.plugin-cache"))]
    for required in (
        "MANIFEST.json",
        "CHANGELOG.md",
        "changelogs/changelog.yaml",
        "meta/runtime.yml",
        "roles/rabbitmq_server/meta/argument_specs.yml",
        "roles/rabbitmq_server/meta/main.yml",
        "plugins/modules/rabbitmq_cli_users.py",
        "plugins/module_utils/password.py",
    ):
        assert required in names


@pytest.fixture()
def container():
    with systemd_container("mqops-galaxy", IMAGE) as name:
        yield name


def test_consumer_project_installs_and_converges(tarball, container, tmp_path):
    project = tmp_path / "consumer"
    project.mkdir()
    (project / "requirements.yml").write_text(
        yaml.safe_dump({"collections": [{"name": str(tarball), "type": "file"}]})
    )
    (project / "ansible.cfg").write_text(
        textwrap.dedent(
            """\
            [defaults]
            collections_path = ./collections
            inventory = inventory.yml
            inject_facts_as_vars = false
            """
        )
    )
    (project / "inventory.yml").write_text(
        yaml.safe_dump(
            {
                "rabbitmq": {
                    "hosts": {container: None},
                    "vars": {
                        "ansible_connection": "community.docker.docker",
                        "ansible_python_interpreter": "/usr/bin/python3",
                    },
                }
            }
        )
    )
    (project / "playbook.yml").write_text(
        textwrap.dedent(
            """\
            - name: Use the collection's server role by FQCN
              hosts: rabbitmq
              roles:
                - role: mqops.rabbitmq.rabbitmq_server
                  vars:
                    rabbitmq_server_admin_password: galaxy-Consumer-Pw-1
                    rabbitmq_server_nofile_limit: 16384
                    rabbitmq_server_plugins: [rabbitmq_management]
            """
        )
    )

    _run(["ansible-galaxy", "install", "-r", "requirements.yml"], cwd=project)
    installed = project / "collections" / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    manifest = json.loads((installed / "MANIFEST.json").read_text())
    assert manifest["collection_info"]["version"] == GALAXY["version"]

    _run(["ansible-playbook", "playbook.yml"], cwd=project, timeout=900)

    status = subprocess.run(
        ["docker", "exec", container, "rabbitmq-diagnostics", "-q", "status", "--formatter", "json"],
        check=True, capture_output=True, text=True,
    )
    node = json.loads(status.stdout)
    assert "rabbitmq_management" in node["active_plugins"]
    assert "rabbitmq_shovel" not in node["active_plugins"]
    users = subprocess.run(
        ["docker", "exec", container, "rabbitmqctl", "-q", "list_users", "--formatter", "json"],
        check=True, capture_output=True, text=True,
    )
    assert {u["user"] for u in json.loads(users.stdout)} == {"admin"}
    shutil.rmtree(project / "collections")


@pytest.mark.parametrize("role", ["rabbitmq_server", "rabbitmq_cluster", "rabbitmq_definitions", "rabbitmq_migrate"])
def test_role_used_without_its_collection_names_what_to_install(role, tmp_path):
    """A role copied into a project's roles/ (as `ansible-galaxy role install`
    or a copy leaves it), without the collection: its first check stops with
    the collection to install and the command, and nothing else runs."""
    project = tmp_path / "legacy"
    shutil.copytree(ROOT / "roles" / role, project / "roles" / role)
    required = {
        "rabbitmq_server": {"rabbitmq_server_admin_password": "legacy-Admin-Pw-1"},
        "rabbitmq_migrate": {"rabbitmq_migrate_blue_api_password": "legacy-Blue-Pw-1",
                             "rabbitmq_migrate_green_api_password": "legacy-Green-Pw-1"},
    }.get(role, {})
    (project / "playbook.yml").write_text(yaml.safe_dump([{
        "name": "Use a role the legacy way",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "roles": [{"role": role, "vars": required}],
    }]))

    def run(collections_path, *extra):
        env = dict(_clean_env(), ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_NOCOLOR="1")
        result = subprocess.run(["ansible-playbook", "-i", "localhost,", "playbook.yml"] + list(extra), cwd=project,
                                env=env, capture_output=True, text=True, timeout=300)
        result.flat = " ".join((result.stdout + result.stderr).split())
        for secret in required.values():
            assert secret not in result.flat
        return result

    missing = run(tmp_path / "no-collections")
    assert missing.returncode != 0, missing.flat[-3000:]
    assert "mqops.rabbitmq.%s needs the mqops.rabbitmq collection" % role in missing.flat, missing.flat[-3000:]
    assert "ansible-galaxy collection install mqops.rabbitmq" in missing.flat
    assert "changed=0" in missing.flat

    # With the collection found, the check passes. Only tasks tagged
    # "always" run (the check, then the role's variable checks, which stop
    # for want of facts here): nothing touches this machine.
    found = run(ROOT / "collections", "--tags", "never")
    assert "needs the mqops.rabbitmq collection" not in found.flat, found.flat[-3000:]
    assert "TASK [%s : Use one of the collection's filters] *" % role in found.stdout, found.flat[-3000:]
    after_check = found.stdout.split("Use one of the collection's filters]", 1)[1].split("TASK [", 1)[0]
    assert "ok: [localhost]" in after_check, found.flat[-3000:]
