"""Shared pytest fixtures for the npscli test suite.

Real components, never mocks of them: the fixtures below start real servers,
implemented in ``tests/servers.py`` (importable from tests as ``servers``).

Fixtures
--------
postgres_server  (session)  a private PostgreSQL cluster (PostgresServer): .url, .host, .port,
                            .create_database(name) -> url, .drop_database(name), .url_for(name).
                            Missing binaries: skipped locally, a hard failure in CI (env CI=true).
pg_url           (function) SQLAlchemy URL (str) of a fresh empty database, dropped after the test.
smtp_server      (function) aiosmtpd server (SMTPRecorder): .host, .port, .messages, .refuse,
                            .stop(), .start(), .require_auth(user, password), .auth_attempts.
http_server      (function) HTTP server (HTTPRecorder): .url, .requests, .status, .statuses, .delay.

Tests using postgres_server/pg_url get the ``postgres`` marker and tests using
smtp_server get the ``smtp`` marker automatically (``pytest -m "not postgres"``).
A test that reaches PostgreSQL some other way (``request.getfixturevalue("pg_url")`` in a
fixture parametrized over backends) must carry the marker itself, e.g.
``pytest.param("postgres", marks=pytest.mark.postgres)``; one that does not fails at once
with a message saying so, so ``pytest -m "not postgres"`` never starts PostgreSQL.

Under pytest-xdist (``make test`` runs ``-n auto``) every worker is its own session: it starts
its own PostgreSQL cluster (own directory, own port) and its own SMTP/HTTP servers.

Other fixtures go below the "server fixtures" section, grouped by topic.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

# Make tests/servers.py importable as ``servers`` whatever pytest's import mode.
_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

import servers  # noqa: E402

# --------------------------------------------------------------------------------------------------
# Server fixtures
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _postgres_cluster() -> Iterator[servers.PostgresServer]:
    """One PostgreSQL cluster for the whole session (each xdist worker: its own), stopped and deleted at the end.

    Reached only through ``postgres_server``, which checks the test's ``postgres`` marker first."""
    try:
        tools = servers.find_postgres_tools()
    except servers.PostgresNotFound as exc:
        if servers.ci_enabled():
            pytest.fail(f"CI: PostgreSQL is required and must not be skipped: {exc}", pytrace=False)
        pytest.skip(str(exc))
    with servers.PostgresServer(tools) as server:
        yield server


@pytest.fixture
def postgres_server(request: pytest.FixtureRequest) -> servers.PostgresServer:
    """The session's PostgreSQL cluster, for a test marked ``postgres`` only (see the module docstring)."""
    if request.node.get_closest_marker("postgres") is None:
        pytest.fail(
            f"{request.node.nodeid} uses PostgreSQL but has no `postgres` marker, so "
            '`pytest -m "not postgres"` would run it: parametrize with '
            'pytest.param("postgres", marks=pytest.mark.postgres) or mark the test',
            pytrace=False,
        )
    return request.getfixturevalue("_postgres_cluster")


@pytest.fixture
def pg_url(postgres_server: servers.PostgresServer) -> Iterator[str]:
    """A fresh, empty database for this test; dropped (WITH (FORCE)) afterwards."""
    name = f"test_{uuid4().hex}"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store's address on each backend in turn: a SQLite file, then a fresh database of the suite's cluster."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def smtp_server() -> Iterator[servers.SMTPRecorder]:
    """A real SMTP server on 127.0.0.1; no AUTH unless ``smtp_server.require_auth(user, pw)``."""
    server = servers.SMTPRecorder().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def http_server() -> Iterator[servers.HTTPRecorder]:
    """A real HTTP server on 127.0.0.1 recording requests, answering ``.status`` (200)."""
    server = servers.HTTPRecorder().start()
    try:
        yield server
    finally:
        server.stop()


_AUTO_MARKERS = {
    "_postgres_cluster": "postgres",
    "postgres_server": "postgres",
    "pg_url": "postgres",
    "smtp_server": "smtp",
}


_ALL_ITEMS = pytest.StashKey[list[pytest.Item]]()


@pytest.hookimpl(tryfirst=True)  # before -m/-k deselect items: the markers must be there when they are read
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        for marker in {m for f, m in _AUTO_MARKERS.items() if f in names}:
            item.add_marker(marker)
    config.stash[_ALL_ITEMS] = list(items)


@pytest.fixture(scope="session")
def collected_items(pytestconfig: pytest.Config) -> list[pytest.Item]:
    """Every item this session collected, before -m/-k deselection (for tests about the suite itself)."""
    return pytestconfig.stash.get(_ALL_ITEMS, [])
