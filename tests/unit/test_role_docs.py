"""Generated documentation is current: the variables tables in the role READMEs
(from the argument specs) and the doc fragments' literal YAML (from the option tables)."""

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("tool", ["render_role_docs.py", "render_doc_fragments.py"])
def test_generated_docs_are_up_to_date(tool):
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / tool), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
