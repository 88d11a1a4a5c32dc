"""tools/ansible_test.py: the tree ansible-test sees is the built collection, plus only what each command reads."""

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("ansible_test_tool", str(ROOT / "tools" / "ansible_test.py"))
tool = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(tool)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    return tool.build(str(tmp_path_factory.mktemp("build")))


def _files(tree):
    return set(str(path.relative_to(tree)) for path in pathlib.Path(tree).rglob("*"))


@pytest.mark.parametrize("command, present, absent", [
    ("sanity", ["tests/sanity/ignore-2.16.txt", "tests/sanity/ignore-2.19.txt"], ["tests/unit"]),
    ("units", ["tests/unit/plugins/conftest.py", "tests/unit/plugins/modules/harness.py"],
     ["tests/sanity", "tests/unit/conftest.py", "tests/unit/test_role_docs.py"]),
])
def test_tree_is_the_built_collection_and_what_the_command_reads(artifact, tmp_path, command, present, absent):
    tree = tool.unpack(artifact, str(tmp_path), command)
    assert tree.endswith(os.path.join("ansible_collections", "mqops", "rabbitmq"))
    files = _files(tree)
    assert {"MANIFEST.json", "plugins/module_utils/http_api.py", "roles/rabbitmq_server/tasks/main.yml"} <= files
    # Left out by galaxy.yml's build_ignore: the checkout's collections link
    # (ansible-test's symlinks test), molecule, tools, the sandbox playbooks.
    for name in ("collections", "molecule", "tools", "Makefile", "playbooks/sandbox.yml", "galaxy.yml"):
        assert name not in files
    assert not any(os.path.islink(os.path.join(tree, name)) for name in files)
    for name in present:
        assert name in files
    for name in absent:
        assert name not in files


def test_every_supported_core_has_a_pip_to_bootstrap():
    # The stand-in is written for the pip version each ansible-test asks for.
    cores = sorted(p.name[len("core-"):] for p in (ROOT / ".venv").glob("core-*") if (p / "bin" / "ansible-test").exists())
    for core in cores + [tool.newest_core()]:
        versions = tool.pip_versions(tool.venv_bin(core))
        assert versions and all(v.replace(".", "").isdigit() for v in versions), (core, versions)


def test_get_pip_stand_in_installs_what_ansible_test_asks_for(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "check_call", lambda cmd, **kwargs: calls.append(cmd))
    monkeypatch.setattr(sys, "argv", ["get_pip.py", "--disable-pip-version-check", "pip==24.2", "--no-setuptools",
                                      "--no-wheel"])
    exec(compile(tool.GET_PIP, "get_pip.py", "exec"), {"__name__": "__main__"})
    assert calls == [[sys.executable, "-m", "ensurepip", "--default-pip"],
                     [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "pip==24.2"]]
