# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""A module's documentation as ansible-doc renders it (doc fragments merged), next to its argument spec."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest


def _collections_path():
    """Where Ansible finds this collection: the directory above ansible_collections/mqops/rabbitmq.

    Under ansible-test units the tests run inside such a tree; from the
    repository, the checkout's collections/ directory links to it.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    parts = here.split(os.sep)
    if "ansible_collections" in parts:
        index = len(parts) - 1 - parts[::-1].index("ansible_collections")
        return os.sep.join(parts[:index]) or os.sep
    # tests/unit/plugins/modules/ -> the repository's collections/ directory.
    return os.path.normpath(os.path.join(here, "..", "..", "..", "..", "collections"))


COLLECTIONS_PATH = _collections_path()


def module_documentation(name):
    """The documentation of mqops.rabbitmq.<name>, doc fragments included.

    ansible-test units runs module tests with ansible.module_utils only (no
    controller code, so no ansible-doc): there the comparison is skipped; it
    runs with `make unit`, on every supported ansible-core.
    """
    pytest.importorskip("ansible.cli.doc", reason="controller code is not importable here (ansible-test units)")
    # ansible-doc of the ansible-core this Python runs (ansible-test units puts none on PATH).
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH)
    process = subprocess.run([sys.executable, "-m", "ansible.cli.doc", "--json", "mqops.rabbitmq." + name],
                             capture_output=True, text=True, env=env)
    assert process.returncode == 0, "ansible-doc failed: %s" % process.stderr[-2000:]
    return json.loads(process.stdout)["mqops.rabbitmq." + name]["doc"]


def doc_options(options):
    """DOCUMENTATION options -> the argument spec fields they document."""
    result = {}
    for name, doc in options.items():
        entry = {"type": doc.get("type", "str")}
        for field in ("elements", "default", "choices", "required"):
            if field in doc:
                entry[field] = doc[field]
        if entry.get("required") is False:
            del entry["required"]
        if "suboptions" in doc:
            entry["options"] = doc_options(doc["suboptions"])
        result[name] = entry
    return result


def spec_options(spec):
    result = {}
    for name, option in spec.items():
        entry = dict((k, v) for k, v in option.items() if k in ("type", "elements", "default", "choices", "required"))
        entry.setdefault("type", "str")
        if entry.get("required") is False:
            del entry["required"]
        if "options" in option:
            entry["options"] = spec_options(option["options"])
        result[name] = entry
    return result
