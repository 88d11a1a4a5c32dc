"""The doc fragments rendered from the option tables are current (tools/render_doc_fragments.py)."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_doc_fragments_are_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "render_doc_fragments.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
