# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Make ``ansible_collections.mqops.rabbitmq`` importable in unit tests.

The repository ships ``collections/ansible_collections/mqops/rabbitmq`` as a
symlink to the repository root; putting ``collections`` first on sys.path lets
the plugins be imported by their collection names, as Ansible does. The
``ansible`` package's own ``ansible_collections`` is a namespace package too,
so both trees are merged.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys
from pathlib import Path

# tests/unit/conftest.py -> parents[2] is the repository root.
REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS_PATH = str(REPO_ROOT / "collections")

if COLLECTIONS_PATH in sys.path:
    sys.path.remove(COLLECTIONS_PATH)
sys.path.insert(0, COLLECTIONS_PATH)
