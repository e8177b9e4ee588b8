"""CLI test fixtures: an isolated environment, a real SQLite store file, and a runner."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from npscli.cli.main import app


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No user config, no real data dir, a fixed clinic time zone, cwd in a temp folder."""
    for var in (
        "NPSCLI_CONFIG",
        "NPSCLI_DB",
        "NPSCLI_NOW",
        "NPSCLI_USER",
        "NPSCLI_DEBUG",
        "NPSCLI_TEMPLATES",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NPSCLI_TIMEZONE", "America/Chicago")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path) -> str:
    """The store every CLI test runs against: a real SQLite file, then a real PostgreSQL database.

    Tests that are about SQLite itself (file permissions, WAL) use ``sqlite_db`` instead.
    """
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def umask_000():
    """The most permissive umask (a shared server's cron): what npscli creates must still be private."""
    import os

    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def sqlite_db(tmp_path) -> str:
    return str(tmp_path / "store.db")


class Cli:
    def __init__(self, db: str) -> None:
        self.runner = CliRunner()
        self.db = db

    def __call__(self, *args: str, env: dict | None = None, db: bool = True, input: str | None = None):
        argv = [str(a) for a in args]
        environment = {"NPSCLI_DB": self.db} if db else {}
        environment.update(env or {})
        return self.runner.invoke(app, argv, env=environment, input=input)


@pytest.fixture
def cli(db) -> Cli:
    return Cli(db)
