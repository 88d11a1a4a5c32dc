#!/usr/bin/env python3
"""Render the doc fragments whose options come from the modules' option tables.

    tools/render_doc_fragments.py           rewrite them in place
    tools/render_doc_fragments.py --check   exit 1 when one is out of date

The modules build their argument specs from option tables
(module_utils/options.py ``spec()``); the same tables, through ``docs()``,
give these fragments' DOCUMENTATION, so documentation and argument spec
cannot disagree. The YAML is written into the fragment as a string literal
(between the markers below) rather than computed when Ansible loads it:
ansible-test's yamllint reads only literals, and so does any tool that
reads documentation without importing the plugin. tests/unit/test_role_docs.py
runs --check.
"""

import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "collections"))

from ansible_collections.mqops.rabbitmq.plugins.module_utils.definitions.kinds.registry import (  # noqa: E402
    option_table,
)
from ansible_collections.mqops.rabbitmq.plugins.module_utils.options import docs  # noqa: E402
from ansible_collections.mqops.rabbitmq.plugins.module_utils.user_options import (  # noqa: E402
    CLI_USERS_OPTION,
    COMPARED_USERS_OPTION,
)

BEGIN = '    # Rendered by tools/render_doc_fragments.py from the option tables: do not edit.\n    DOCUMENTATION = r"""\n'
END = '"""\n'

FRAGMENTS = {
    "definitions.py": lambda: {"options": docs(option_table())},
    "users.py": lambda: {"options": docs({"users": CLI_USERS_OPTION})},
    "users_compared.py": lambda: {"options": docs({"users": COMPARED_USERS_OPTION})},
}


def render(document):
    text = yaml.safe_dump(document, sort_keys=False, width=120)
    assert '"""' not in text, "the rendered YAML would end the string literal"
    return text


def updated(path, text):
    source = path.read_text()
    head, rest = source.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    return head + BEGIN + text + END + tail


def main(argv):
    check = "--check" in argv
    stale = []
    for name, document in FRAGMENTS.items():
        path = ROOT / "plugins" / "doc_fragments" / name
        new = updated(path, render(document()))
        if new != path.read_text():
            stale.append(str(path.relative_to(ROOT)))
            if not check:
                path.write_text(new)
    if check and stale:
        print("out of date (run tools/render_doc_fragments.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
