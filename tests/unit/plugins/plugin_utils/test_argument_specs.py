# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The roles' checks give the filters the path of meta/argument_specs.yml: read once, re-read when it changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pathlib

import pytest

from ansible_collections.mqops.rabbitmq.plugins.filter.type_errors import type_errors
from ansible_collections.mqops.rabbitmq.plugins.filter.unknown_variables import unknown_variables
from ansible_collections.mqops.rabbitmq.plugins.plugin_utils import argument_specs

ROLES = pathlib.Path(__file__).resolve().parents[4] / "roles"
SPEC = """argument_specs:
  main:
    options: &options
      demo_port: {type: int}
      demo_hosts: {type: list, elements: str}
  validate:
    options: *options
"""


def test_a_parsed_document_is_returned_as_given():
    document = {"argument_specs": {}}
    assert argument_specs.load(document) is document


def test_the_path_and_the_parsed_document_give_the_same_answers(tmp_path):
    path = tmp_path / "argument_specs.yml"
    path.write_text(SPEC)
    parsed = argument_specs.load(str(path))
    assert parsed["argument_specs"]["validate"]["options"]["demo_port"] == {"type": "int"}
    values = {"demo_port": "5672x", "demo_hosts": "a,b", "demo_hostss": 1}
    assert type_errors(values, str(path)) == type_errors(values, parsed) == [
        "demo_hosts must be a list (YAML list), got a string",
        "demo_port must be an integer (YAML int), got a string",
    ]
    assert unknown_variables(list(values), str(path)) == unknown_variables(list(values), parsed) == [
        "demo_hostss (did you mean demo_hosts?)"]


def test_a_changed_file_is_read_again(tmp_path):
    path = tmp_path / "argument_specs.yml"
    path.write_text(SPEC)
    assert unknown_variables(["demo_extra"], str(path)) == ["demo_extra"]
    path.write_text(SPEC.replace("demo_hosts:", "demo_extra:"))
    # A later modification time, whatever the file system's resolution.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10 ** 9))
    assert unknown_variables(["demo_extra"], str(path)) == []


def test_a_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(OSError, match="argument_specs.yml"):
        argument_specs.load(str(tmp_path / "argument_specs.yml"))


@pytest.mark.parametrize("role", sorted(p.name for p in ROLES.iterdir() if (p / "meta" / "argument_specs.yml").exists()))
def test_every_role_spec_reads_the_same_as_ansible_reads_it(role):
    from ansible.parsing.yaml.loader import AnsibleLoader
    import yaml
    path = ROLES / role / "meta" / "argument_specs.yml"
    assert argument_specs.load(str(path)) == yaml.load(path.read_text(), Loader=AnsibleLoader)
