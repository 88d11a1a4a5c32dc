# -*- coding: utf-8 -*-
# Copyright: mqops contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Option tables: one description of a module option gives its argument spec and its documentation.

An option table maps option names to dicts that mix argument spec keys
(``type``, ``default``, ``choices``, ``no_log``, ``options``,
``mutually_exclusive``...) with the documented ``description``. ``spec()``
keeps what AnsibleModule reads, ``docs()`` what ``ansible-doc`` shows
(``options`` become ``suboptions``), so the two cannot drift apart. The
modules build their argument specs with ``spec()``;
``tools/render_doc_fragments.py`` writes ``docs()`` into the doc fragments
in ``plugins/doc_fragments`` (a unit test checks they are current).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

SPEC_KEYS = (
    "type",
    "elements",
    "default",
    "choices",
    "required",
    "no_log",
    "aliases",
    "mutually_exclusive",
    "required_if",
    "required_one_of",
    "required_together",
    "required_by",
)
DOC_KEYS = ("description", "type", "elements", "default", "choices", "required", "aliases")


def spec(table):
    """The argument spec of an option table (fresh copies: AnsibleModule fills nested defaults in)."""
    result = {}
    for name, option in table.items():
        entry = dict((k, copy.deepcopy(v)) for k, v in option.items() if k in SPEC_KEYS)
        if "options" in option:
            entry["options"] = spec(option["options"])
        result[name] = entry
    return result


def docs(table):
    """The DOCUMENTATION ``options`` of an option table."""
    result = {}
    for name, option in table.items():
        entry = {}
        for key in DOC_KEYS:
            if key in option:
                entry[key] = copy.deepcopy(option[key])
        if isinstance(entry.get("description"), str):
            entry["description"] = [entry["description"]]
        if "options" in option:
            entry["suboptions"] = docs(option["options"])
        result[name] = entry
    return result


def list_of(description, entry_options, **checks):
    """A list-of-dicts option (``default: []``) whose elements follow ``entry_options``.

    ``checks`` are element-level rules of the argument spec, such as
    ``mutually_exclusive``.
    """
    option = dict(type="list", elements="dict", default=[], description=description, options=entry_options)
    option.update(checks)
    return option


def with_description(option, *sentences):
    """A copy of ``option`` with sentences added to its description."""
    result = dict(option)
    description = option.get("description", [])
    if isinstance(description, str):
        description = [description]
    result["description"] = list(description) + list(sentences)
    return result
