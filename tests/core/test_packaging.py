"""The wheel carries the templates (kept at the repository root) and the theme taxonomy."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_templates_and_data(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("npscli-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    packaged = {p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*") if p.is_file()}
    assert packaged, "templates/ is empty"
    assert {"npscli/" + name for name in packaged} <= names
    assert "npscli/data/themes.toml" in names and "npscli/py.typed" in names
    assert "npscli/cli/main.py" in names
