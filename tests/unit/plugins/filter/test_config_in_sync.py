# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""config_in_sync: the filter over module_utils/config_files.in_sync."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.mqops.rabbitmq.plugins.filter.config_in_sync import FilterModule
from ansible_collections.mqops.rabbitmq.plugins.module_utils import config_files

config_in_sync = FilterModule().filters()["config_in_sync"]


def test_the_filter_compares_with_the_fingerprints(tmp_path):
    path = tmp_path / "rabbitmq.conf"
    path.write_text("a = 1\n")
    os.chmod(str(path), 0o640)
    prints = {str(path): config_files.fingerprint(str(path))}
    assert config_in_sync([dict(path=str(path), content="a = 1\n", mode="0640")], prints) is True
    assert config_in_sync([dict(path=str(path), content="a = 2\n", mode="0640")], prints) is False
    assert config_in_sync([], {}) is True
    assert config_in_sync([dict(path=str(path), content="a = 1\n")], None) is False
