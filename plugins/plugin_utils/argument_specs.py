# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Read a role's meta/argument_specs.yml once per controller process (controller side only)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml

try:
    # libyaml's parser: about five times faster than the pure Python one on
    # the larger specs, and a role's checks read its spec on every host.
    _LOADER = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _LOADER = yaml.SafeLoader

_CACHE = {}


def load(spec):
    """The argument_specs document: spec itself when already parsed, else read from the path spec.

    A path is read and parsed once per process while the file is unchanged
    (same size and modification time).
    """
    if not isinstance(spec, str):
        return spec
    stat = os.stat(spec)
    key = (spec, stat.st_mtime_ns, stat.st_size)
    if key not in _CACHE:
        with open(spec, "rb") as handle:
            _CACHE[key] = yaml.load(handle, Loader=_LOADER) or {}
    return _CACHE[key]
