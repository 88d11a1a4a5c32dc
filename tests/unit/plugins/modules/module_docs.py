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

# tests/unit/plugins/modules/ -> the repository's collections/ directory.
COLLECTIONS_PATH = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "collections")
)


def module_documentation(name):
    """The documentation of mqops.rabbitmq.<name>, doc fragments included."""
    ansible_doc = os.path.join(os.path.dirname(sys.executable), "ansible-doc")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH)
    process = subprocess.run([ansible_doc, "--json", "mqops.rabbitmq." + name], capture_output=True, text=True,
                             env=env, check=True)
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
