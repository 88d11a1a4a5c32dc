# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Run a module's main() in-process: exit_json/fail_json raise instead of exiting."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
from unittest import mock

import pytest

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19 has no helper: the same, by hand

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Expose the given module args to AnsibleModule instances created within this context."""
        payload = json.dumps(dict(ANSIBLE_MODULE_ARGS=args or {})).encode()
        with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
            yield


class AnsibleExitJson(Exception):
    """Raised instead of exit_json's sys.exit; carries the result."""


class AnsibleFailJson(Exception):
    """Raised instead of fail_json's sys.exit; carries the result."""


def exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    raise AnsibleExitJson(kwargs)


def fail_json(self, **kwargs):
    kwargs["failed"] = True
    raise AnsibleFailJson(kwargs)


def patch_exits(monkeypatch):
    monkeypatch.setattr(AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(AnsibleModule, "fail_json", fail_json)


def run_module(main, args, expect=AnsibleExitJson):
    """The result dict of main() with these module arguments."""
    with patch_module_args(args):
        with pytest.raises(expect) as excinfo:
            main()
    return excinfo.value.args[0]
