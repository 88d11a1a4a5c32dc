"""execution-environment.yml: ansible-builder accepts it, and it says what the project tests.

``ansible-builder create`` writes the build context (Containerfile and the
files it copies) without building or pulling anything: it validates the
definition against its schema and renders every dependency into the
Containerfile. The checks then hold the definition to the collection:
the ansible-core it installs is the one the scenarios run with, within
``requires_ansible``, and the collection's version range takes galaxy.yml's
version.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFINITION = os.path.join(ROOT, "execution-environment.yml")


def _builder():
    found = shutil.which("ansible-builder", path=os.path.dirname(sys.executable)) or shutil.which("ansible-builder")
    if not found:
        # The ansible-core range venvs (tests/integration/test_ansible_core_range.py) carry ansible-core only.
        pytest.skip("ansible-builder is not installed here (requirements-dev.txt installs it)")
    return found


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    out = tmp_path_factory.mktemp("ee") / "context"
    result = subprocess.run([_builder(), "create", "-f", DEFINITION, "-c", str(out), "--output-filename",
                             "Containerfile", "-v", "2"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def _definition():
    with open(DEFINITION) as handle:
        return yaml.safe_load(handle)


def _pinned_core():
    with open(os.path.join(ROOT, "requirements-dev.txt")) as handle:
        return re.search(r"^ansible-core==(\S+)", handle.read(), re.M).group(1)


def test_create_writes_a_containerfile_with_every_stage(context):
    text = (context / "Containerfile").read_text()
    assert "ARG EE_BASE_IMAGE=\"docker.io/redhat/ubi9:latest\"" in text
    for stage in ("AS base", "AS galaxy", "AS builder", "AS final"):
        assert stage in text, stage
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core==%s ansible-runner"' % _pinned_core() in text
    assert 'ARG PYCMD="/usr/bin/python3.11"' in text
    # The collections are installed from the requirements the context carries.
    assert "ansible-galaxy collection install" in text
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert requirements == {"collections": [{"name": "mqops.rabbitmq", "version": ">=1.0.0,<2.0.0"}]}


def test_ansible_core_is_the_tested_one_and_within_requires_ansible():
    core = _definition()["dependencies"]["ansible_core"]["package_pip"]
    assert core == "ansible-core==" + _pinned_core()
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        floor = re.match(r">=(\d+)\.(\d+)", yaml.safe_load(handle)["requires_ansible"]).groups()
    assert tuple(int(part) for part in _pinned_core().split(".")[:2]) >= tuple(int(part) for part in floor)


def test_the_collection_range_takes_this_version():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        version = tuple(int(part) for part in yaml.safe_load(handle)["version"].split("."))
    (entry,) = [c for c in _definition()["dependencies"]["galaxy"]["collections"] if c["name"] == "mqops.rabbitmq"]
    low, high = re.match(r">=([\d.]+),<([\d.]+)$", entry["version"]).groups()
    assert tuple(int(p) for p in low.split(".")) <= version < tuple(int(p) for p in high.split("."))
