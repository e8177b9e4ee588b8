"""A SQLite store this user may read but not write (a read-only file, a read-only folder): each command says what
is in the way in one line with a hint, exits 4, and leaves the store as it was.

File permissions bind only a user without CAP_DAC_OVERRIDE: as root (CI containers) the commands run in a child
that has given those capabilities up (setpriv), as the same user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

NO_OVERRIDE = ["--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]


def _npscli(args: list[str], cwd) -> subprocess.CompletedProcess:
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("as root, file permissions can only be tested with setpriv (util-linux)")
        prefix = [setpriv, *NO_OVERRIDE, "--"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NPSCLI_")}
    env.update(NPSCLI_TIMEZONE="America/Chicago", NPSCLI_NOW="2025-11-10", XDG_CONFIG_HOME=str(cwd / "xdg"))
    return subprocess.run(
        [*prefix, sys.executable, "-m", "npscli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def shelf(tmp_path):
    """A folder with a store of three responses and one more export to import."""
    folder = tmp_path / "shelf"
    folder.mkdir()
    (tmp_path / "week.csv").write_text(
        "Response ID,Score,Created at\nw1,9,2025-11-03T09:00:00-06:00\nw2,3,2025-11-03T10:00:00-06:00\n",
        encoding="utf-8",
    )
    (tmp_path / "more.csv").write_text(
        "Response ID,Score,Created at\nm1,2,2025-11-04T09:00:00-06:00\n", encoding="utf-8"
    )
    r = _npscli(["import", "--db", str(folder / "s.db"), "week.csv", "-q"], tmp_path)
    assert r.returncode == 0, r.stderr
    yield folder
    folder.chmod(0o700)
    for file in folder.iterdir():
        file.chmod(0o600)


def _one_error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 4, r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("npscli: error: ") and lines[1].startswith("  hint: "), r.stderr
    return r.stderr


def test_a_read_only_store_is_read_and_a_write_is_refused_as_such(shelf):
    store = shelf / "s.db"
    store.chmod(0o444)
    r = _npscli(["score", "--db", str(store), "-f", "csv"], shelf.parent)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1].startswith("2,")  # the two responses stored
    r = _npscli(["import", "--db", str(store), "more.csv", "-q"], shelf.parent)
    err = _one_error(r)
    assert f"the store {store} is read-only for this user; nothing of this command was kept" in err
    store.chmod(0o644)
    r = _npscli(["score", "--db", str(store), "-f", "csv"], shelf.parent)
    assert r.stdout.splitlines()[1].startswith("2,"), r.stderr  # the import kept nothing


def test_a_store_in_a_read_only_folder_names_the_folder(shelf):
    store = shelf / "s.db"
    assert not (shelf / "s.db-wal").exists()  # closed cleanly: SQLite must make its working files to read
    shelf.chmod(0o555)
    for command in (["score"], ["tickets", "list"], ["import", "more.csv", "-q"]):
        r = _npscli([*command, "--db", str(store)], shelf.parent)
        err = _one_error(r)
        assert f"this user may not write in the store's folder {shelf}, where SQLite keeps its working files" in err
        assert "npscli db backup" in err
