"""Opening the store: a SQLite file by default, or any SQLAlchemy URL (PostgreSQL for teams).

SQLite is opened in WAL mode with a generous busy timeout, and every write transaction starts with
``BEGIN IMMEDIATE`` so that two processes (a cron import and a person updating tickets) queue for the
write lock instead of failing half-way with "database is locked". Read transactions stay deferred and
never wait for a writer (WAL readers see the last committed state).
A new SQLite file is created readable and writable by its owner only (it holds patient data).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from npscli.core.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

BUSY_TIMEOUT_MS = 60_000


def to_url(target: str) -> str:
    """A --db value (a path or a SQLAlchemy URL) as a SQLAlchemy URL.

    A password written as it is (a raw ``@ / # ? :`` in it, which the URL syntax would read as the host or the
    path) is percent-encoded, so the URL means what its author meant. A URL that still cannot be read is
    refused without being echoed (it may hold a password).
    """
    if "://" in target:
        if target.startswith("postgresql://") or target.startswith("postgres://"):
            # psycopg 3 is the driver we ship
            target = "postgresql+psycopg://" + target.split("://", 1)[1]
        url = _encode_password(target)
        _check_readable(url)
        return url
    return "sqlite:///" + str(Path(target).expanduser().resolve())


_PASSWORD_PARAM = re.compile(r"(?i)(?<![\w])(password=)([^&]*)")
_UNREADABLE_URL = "the database URL cannot be read (it is not shown: it may hold a password)"


# What follows the user part's @: host[:port] (several, comma-separated, or none: a socket), a path without an @,
# then a query of name=value pairs whose values may hold anything (an @ too). No fragment: a # there is a password's.
_HOST = r"(?:\[[0-9A-Za-z:.%]+\]|[\w.~%-]*)(?::\d*)?"
_PAIR = r"[A-Za-z_][\w.-]*=[^&]*"
_AFTER_USERINFO = re.compile(rf"{_HOST}(?:,{_HOST})*(?:/[^?#@]*)?(?:\?(?:{_PAIR}(?:&{_PAIR})*&?)?)?", re.DOTALL)


def _userinfo_end(url: str) -> int | None:
    """Where the ``user:password`` part of ``scheme://user:password@host/...`` ends (its ``@``), or None.

    The first ``@`` after a user name (no ``/ ? #`` in it) that the rest of the URL can follow (host, path,
    ``name=value`` query pairs): a password may hold a raw ``@ / # ?``, a host or a path cannot hold an ``@``, a
    query value (``application_name=a@b``) can. Failing that, the last ``@`` outside ``password=`` values."""
    hidden = _PASSWORD_PARAM.sub(lambda m: m.group(1) + "x" * len(m.group(2)), url)
    start = hidden.find("://")
    if start < 0:
        return None
    start += 3
    at = hidden.find("@", start)
    while at >= 0:
        if any(c in hidden[start:at].partition(":")[0] for c in "/?#"):
            break  # no user name holds these: this @ is in a query value, or the URL is odd
        if _AFTER_USERINFO.fullmatch(hidden, at + 1):
            return at
        at = hidden.find("@", at + 1)
    at = hidden.rfind("@")
    return at if at >= start and not _in_query_value(hidden, at) else None


def _in_query_value(url: str, at: int) -> bool:
    """Whether position ``at`` is inside a query value of a URL whose user part has no raw ``?``."""
    query = url.find("?", url.find("://") + 3)
    return 0 <= query < at and "@" not in url[:query]


def _split_userinfo(url: str) -> tuple[str, str, str | None, str] | None:
    """``(scheme://, user, password as written or None, the rest after the @)``; None without a user part."""
    at = _userinfo_end(url)
    if at is None:
        return None
    start = url.index("://") + 3
    userinfo = url[start:at]
    user, colon, password = userinfo.partition(":")
    return url[:start], user, password if colon else None, url[at + 1 :]


def _encode_password(url: str) -> str:
    from urllib.parse import quote, unquote

    if url.startswith("sqlite"):  # a file path, whose ":" and "@" are the path's
        return url
    parts = _split_userinfo(url)
    if parts is None:
        if "://" not in url:
            return url
        start = url.index("://") + 3
        return url[:start] + _encode_query_ats(url[start:])
    scheme, user, password, rest = parts
    userinfo = user if password is None else f"{user}:{quote(unquote(password), safe='')}"
    return f"{scheme}{userinfo}@{_encode_query_ats(rest)}"


def _encode_query_ats(rest: str) -> str:
    """``host/path?query`` with each ``@`` of the query percent-encoded: SQLAlchemy's URL parser would take the
    last ``@`` for the end of the user part (``?application_name=a@b``); a query value is decoded again."""
    path, mark, query = rest.partition("?")
    return path + mark + query.replace("@", "%40")


def _check_readable(url: str) -> None:
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
        _ = parsed.port  # a port that is not a number
    except Exception:
        raise StoreError(
            _UNREADABLE_URL,
            hint="write it as postgresql://USER:PASSWORD@HOST:PORT/DBNAME (or keep the password in ~/.pgpass "
            "or PGPASSWORD)",
        ) from None


def redact_url(url: str) -> str:
    """The URL with its password hidden, in every form it can take, for messages and `config show`.

    The user part's password (percent-encoded or not) by SQLAlchemy's ``render_as_string(hide_password=True)``,
    ``password=`` query parameters by name; a URL that cannot be read is not shown at all. A path (a SQLite
    file) is returned as it is.
    """
    if "://" not in url or url.startswith("sqlite"):  # a path holds no password
        return url
    from sqlalchemy.engine import make_url

    try:
        shown = make_url(_encode_password(url)).render_as_string(hide_password=True)
    except Exception:
        return "(an unreadable database URL, not shown)"
    return _PASSWORD_PARAM.sub(lambda m: m.group(1) + "***", shown)


def scrub_secrets(text: str, url: str) -> str:
    """``text`` (a driver's error message about ``url``) with the URL's password removed, in whatever form the
    driver repeats it (as written, decoded, or as part of a host it could not resolve)."""
    from urllib.parse import unquote

    secrets = {m.group(2) for m in _PASSWORD_PARAM.finditer(url)}
    parts = _split_userinfo(url)
    if parts is not None and parts[2]:
        secrets |= {parts[2], unquote(parts[2])}
        # the pieces a driver shows when a raw @ / # ? split the password into user, host and path
        secrets |= {piece for piece in re.split(r"[@/#?:]", unquote(parts[2])) if len(piece) >= 4}
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return _PASSWORD_PARAM.sub(lambda m: m.group(1) + "***", text)


def sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :])
    return None


def describe_store(store: Store) -> str:
    """Where the store is, for a person: a SQLite path with the home folder as ~, else the URL without password."""
    path = store.path
    if path is None:
        return redact_url(re.sub(r"^postgresql\+\w+://", "postgresql://", store.url))
    path = path.expanduser().absolute()
    home = Path.home()
    return "~/" + path.relative_to(home).as_posix() if path.is_relative_to(home) and path != home else str(path)


def _prepare_sqlite_file(path: Path) -> None:
    if path.exists():
        if path.is_dir():
            raise StoreError(f"{path} is a directory, not a database file", hint="pass a file path to --db")
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(
            f"cannot create the store at {path}: {exc.strerror}",
            hint="choose a writable location with --db PATH or NPSCLI_DB",
        ) from None


def create_engine_for(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    path = sqlite_path(url)
    if path is not None:
        _prepare_sqlite_file(path)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - exercised by every test
            options = conn.get_execution_options()
            # foreign_keys can only change outside a transaction: set it for this one, before BEGIN
            # (off only for a bulk import, whose references are the rows it has just inserted itself)
            checks = not options.get("npscli_bulk")
            if conn.info.get("npscli_foreign_keys", True) != checks:
                conn.exec_driver_sql(f"PRAGMA foreign_keys = {'ON' if checks else 'OFF'}")
                conn.info["npscli_foreign_keys"] = checks
            if options.get("npscli_write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    try:
        return create_engine(url, pool_pre_ping=True, connect_args=_connect_args(url))
    except Exception as exc:  # bad URL, missing driver
        raise StoreError(
            f"cannot use database URL {redact_url(url)}: {scrub_secrets(str(exc).splitlines()[0], url)}",
            hint="give a SQLite file path, or a PostgreSQL URL such as postgresql://user@host/dbname",
        ) from None


CONNECT_TIMEOUT_S = 10  # PostgreSQL: how long to wait for the server before giving up (libpq waits for ever)


def _connect_args(url: str) -> dict[str, int]:
    """A PostgreSQL server that never answers (a host that drops packets, a hung server, a proxy that accepts
    and says nothing) must not hang a cron job for ever: libpq's ``connect_timeout``, unless the URL or
    ``PGCONNECT_TIMEOUT`` sets it."""
    if not url.startswith("postgresql") or "PGCONNECT_TIMEOUT" in os.environ:
        return {}
    if re.search(r"[?&]connect_timeout=", url):
        return {}
    return {"connect_timeout": CONNECT_TIMEOUT_S}


@dataclass
class Store:
    """An open store. Use ``write()`` and ``read()`` for transactions."""

    url: str
    engine: Engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def path(self) -> Path | None:
        return sqlite_path(self.url)

    @contextmanager
    def write(self, *, bulk: bool = False) -> Iterator[Connection]:
        """A write transaction: all or nothing, serialised against other writers.

        ``bulk``: an import's transaction, on SQLite without the per-row foreign key checks (a million-row
        load spends most of a second looking up its own batch row for every response); the importer only
        ever references the batch, responses and tickets it has just written in the same transaction.
        """
        from sqlalchemy.exc import DatabaseError

        try:
            with self.engine.connect() as conn:
                conn.execution_options(npscli_write=True, npscli_bulk=bulk)
                with conn.begin():
                    yield conn
        except DatabaseError as exc:
            if not _is_store_failure(exc):
                raise
            raise _store_error(self, exc) from None

    @contextmanager
    def read(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """A read transaction. ``snapshot``: every statement in it sees the store as it was at its first one,
        whatever commits meanwhile (a copy of several tables that must agree: responses and their tickets).
        SQLite's read transactions are that already; PostgreSQL's default (READ COMMITTED) is not."""
        from sqlalchemy.exc import DatabaseError

        try:
            with self.engine.connect() as conn:
                if snapshot and self.dialect == "postgresql":
                    conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    yield conn
        except DatabaseError as exc:
            if not _is_store_failure(exc):
                raise
            raise _store_error(self, exc) from None

    def dispose(self) -> None:
        self.engine.dispose()


def _is_store_failure(exc: Exception) -> bool:
    """What a transaction turns into a StoreError: the database failing (SQLAlchemy's OperationalError: a
    locked, full, read-only or unreachable store) and a file that is not a database (a plain DatabaseError).
    An IntegrityError or ProgrammingError is npscli's own bug and stays one."""
    from sqlalchemy.exc import DatabaseError, OperationalError

    return isinstance(exc, OperationalError) or type(exc) is DatabaseError


def _store_error(store: Store, exc: Exception, *, doing: str = "database error on") -> StoreError:
    """The one-line error for a database failure: what happened, in words, and what to do about it.

    ``doing`` begins the message when the failure is none of the known ones (``database error on URL: ...``)."""
    orig = getattr(exc, "orig", None) or exc
    text = scrub_secrets(str(orig).splitlines()[0] if str(orig) else type(orig).__name__, store.url)
    where = redact_url(store.url)
    if "locked" in text or "lock timeout" in text:  # SQLite's busy timeout, PostgreSQL's lock_timeout
        return StoreError(
            f"the store {where} stayed busy for {BUSY_TIMEOUT_MS // 1000} s",
            hint="another npscli process is writing a very large import; try again when it has finished",
        )
    if "deadlock detected" in text or "could not serialize" in text:
        return StoreError(
            f"the store {where} gave way to another npscli process changing the same rows at the same moment; "
            "nothing of this command was kept",
            hint="run it again (it will now find the other's changes)",
        )
    path = store.path
    if path is not None:
        found = _sqlite_failure(path, getattr(orig, "sqlite_errorname", ""), text)
        if found is not None:
            return found
    elif "timeout expired" in text:
        return StoreError(
            f"the database server of {where} did not answer (connection timeout expired)",
            hint="check the host and port, that the server is running and that no firewall drops this machine's "
            "connections; PGCONNECT_TIMEOUT (or ?connect_timeout=SECONDS in the URL) waits longer than "
            f"{CONNECT_TIMEOUT_S} s",
        )
    elif "No space left on device" in text:
        return StoreError(
            f"the database server of {where} has run out of disk space; nothing of this command was kept",
            hint="ask the server's administrator to free space on its data disk, then run it again",
        )
    return StoreError(f"{doing} {where}: {text}", hint=_connection_hint(store.url, text))


def _sqlite_failure(path: Path, name: str, text: str) -> StoreError | None:
    """A SQLite file that cannot be used as it is (a full disk, a read-only file or folder), said as such;
    ``name`` is SQLite's extended error name (``SQLITE_READONLY_DIRECTORY``), ``text`` its message."""
    if name == "SQLITE_FULL" or "disk is full" in text:
        return StoreError(
            f"the disk holding the store {path} is full; nothing of this command was kept",
            hint=f"free some space there (df -h {path.parent}), then run it again",
        )
    if name == "SQLITE_READONLY_DIRECTORY":
        return StoreError(
            f"this user may not write in the store's folder {path.parent}, where SQLite keeps its working files "
            f"({path.name}-wal, {path.name}-shm) even to read",
            hint="let this user write to that folder (the store file itself may stay read-only for reading), "
            "or read a copy: npscli db backup COPY.db, run by a user who can",
        )
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return StoreError(
            f"the store {path} is read-only for this user; nothing of this command was kept",
            hint="commands that change the store (import, tickets, alert) need write access to the file and its "
            "folder (ls -l, chmod/chown); commands that only read it work as they are",
        )
    if name == "SQLITE_NOTADB" or "file is not a database" in text:
        return StoreError(
            f"{path} is not an npscli store (not a SQLite database)",
            hint="check --db / NPSCLI_DB / `database` in npscli.toml: it names the store, not an export (an "
            "export is the argument of npscli import)",
        )
    if name.startswith("SQLITE_CANTOPEN") or "unable to open database file" in text:
        return StoreError(
            f"cannot open the store {path}",
            hint="check that this user may read and write the file and its folder, and that the path is right "
            "(--db / NPSCLI_DB / `database` in npscli.toml)",
        )
    return None


def _connection_hint(url: str, text: str = "") -> str:
    if "permission denied" in text and sqlite_path(url) is None:
        return (
            "the database user may not create npscli's tables: make it the database's owner "
            "(createdb --owner=USER NAME, or ALTER DATABASE NAME OWNER TO USER)"
        )
    if sqlite_path(url) is not None:
        return "check the path given by --db / NPSCLI_DB / `database` in npscli.toml, and that it is writable"
    return (
        "check that the server is running and the URL given by --db / NPSCLI_DB / `database` (host, port, "
        "user, database; `createdb NAME` makes the database); keep the password in ~/.pgpass or PGPASSWORD"
    )


def open_store(target: str, *, migrate: bool = True, on_upgrade=None) -> Store:
    """Open (creating if needed) the store at ``target`` and bring its schema up to date (``on_upgrade(version,
    latest)``: told before an existing store's schema is upgraded)."""
    url = to_url(target)
    engine = create_engine_for(url)
    store = Store(url=url, engine=engine)
    if store.dialect == "postgresql":
        from npscli.store.schema import use_postgresql

        use_postgresql()
    if migrate:
        from npscli.store.migrations import upgrade

        try:
            upgrade(store, on_start=on_upgrade)
        except StoreError:
            engine.dispose()
            raise
        except Exception as exc:
            engine.dispose()
            from sqlalchemy.exc import DBAPIError

            if isinstance(exc, DBAPIError):
                raise _store_error(store, exc, doing="cannot open the store") from None
            raise
    return store
