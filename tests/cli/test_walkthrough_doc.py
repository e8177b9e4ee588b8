"""The README's week of the workflow is real: docs/walkthrough.sh, re-run, prints docs/walkthrough.out, which
the README shows verbatim. After a change to what the commands print: bash docs/walkthrough.sh > docs/walkthrough.out,
then paste it into the README's "A week of the workflow"."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "walkthrough.sh"
OUT = ROOT / "docs" / "walkthrough.out"


def test_the_readme_shows_the_walkthrough_output_verbatim():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A week of the workflow", 1)[1].split("\n## ", 1)[0]
    shown = section.split("```text\n", 1)[1].split("\n```\n", 1)[0] + "\n"
    assert shown == OUT.read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("sed") is None, reason="needs bash and sed")
def test_the_walkthrough_still_prints_what_the_readme_shows(tmp_path):
    npscli = Path(sys.executable).with_name("npscli")
    assert npscli.exists(), npscli
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NPSCLI_")},
        "TMPDIR": str(tmp_path),
        "NPSCLI_BIN": str(npscli),
        "NPSCLI_PYTHON": sys.executable,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    done = subprocess.run(
        ["bash", str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    expected = OUT.read_text(encoding="utf-8")
    if "/tmp/npscli-walkthrough/" not in expected or str(tmp_path) in expected:
        pytest.fail("docs/walkthrough.out was not made with TMPDIR=/tmp")
    # The drafts' paths in the ticket history are absolute (the script's scratch folder under $TMPDIR) and a
    # table wraps them where the column ends: compare without the layout, the scratch folder read as /tmp.
    assert flat(done.stdout).replace(flat(str(tmp_path)), flat("/tmp")) == flat(expected)


def flat(text: str) -> str:
    return re.sub(r"[\s|+\-]", "", text)
