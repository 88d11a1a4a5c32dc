# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""rabbitmq_server's fingerprinted paths match the files its configuration module writes.

The state read fingerprints __rabbitmq_server_config_paths, which cannot be derived from
__rabbitmq_server_config_files (their contents need the installed version, unknown at that read);
a path missing from the list would silently turn off the skip of the configuration module."""

import pathlib
import re

import yaml

VARS = pathlib.Path(__file__).resolve().parents[2] / "roles" / "rabbitmq_server" / "vars" / "main.yml"


def test_every_written_path_is_fingerprinted():
    variables = yaml.safe_load(VARS.read_text())
    written = [entry["path"] for entry in variables["__rabbitmq_server_config_files"]]
    # The secret files are one template: their paths are the values of its 'path' keys.
    written += ["{{ %s }}" % path for path in re.findall(r"'path': ([\w.]+)",
                                                          variables["__rabbitmq_server_config_secret_files"])]
    assert len(written) > 10
    assert sorted(written) == sorted(variables["__rabbitmq_server_config_paths"])
