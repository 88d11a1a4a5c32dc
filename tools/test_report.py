#!/usr/bin/env python3
"""Print the failed and errored tests of JUnit XML reports, briefly.

`make molecule` calls it after a scenario fails, so the end of a long CI
log names the failing verifier tests and their assertion, instead of only
molecule's recap ("Verifier tests failed").

    python tools/test_report.py tests/output/molecule/cluster.xml [...]
"""

import sys
import xml.etree.ElementTree as ET

LINES = 12  # lines kept of each failure's message and traceback tail


def failures(path):
    """Yield (test id, kind, text) for every failed or errored test case."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        yield (path, "unreadable", str(exc))
        return
    for case in root.iter("testcase"):
        for kind in ("failure", "error"):
            for node in case.findall(kind):
                name = "%s::%s" % (case.get("classname", ""), case.get("name", ""))
                text = (node.get("message") or "").strip()
                body = (node.text or "").strip().splitlines()
                # The assertion and its "E" lines are at the end of the traceback.
                tail = [line for line in body if line.startswith("E ")][-LINES:] or body[-LINES:]
                yield (name, kind, "\n".join([text] + tail).strip())


def summary(paths):
    lines = []
    count = 0
    for path in paths:
        for name, kind, text in failures(path):
            count += 1
            lines.append("--- %s (%s)" % (name, kind))
            lines.extend("    " + line for line in text.splitlines()[: LINES + 1])
    lines.append("=== %d failed or errored test(s) in %s" % (count, ", ".join(paths)))
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(summary(sys.argv[1:]))
