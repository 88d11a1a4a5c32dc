"""The variables tables in the role READMEs are generated from the argument specs."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_role_readmes_are_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "render_role_docs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
