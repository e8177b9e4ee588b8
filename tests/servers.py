"""Real servers for the test suite: PostgreSQL, SMTP (aiosmtpd) and HTTP.

The project's rule is *real components in tests, never mocks of them*.  This
module starts the real thing, locally and quickly, and is used by the fixtures
in ``tests/conftest.py`` (``postgres_server``, ``pg_url``, ``smtp_server``,
``http_server``).  It has no pytest dependency so it can also be used from a
REPL or a benchmark script::

    from servers import PostgresServer, find_postgres_tools
    with PostgresServer(find_postgres_tools()) as pg:
        url = pg.create_database("scratch")

PostgreSQL
    A throw-away cluster (``initdb -A trust``) in a private directory under
    /tmp, listening on 127.0.0.1 on a free port, durability switched off for
    speed.  PostgreSQL refuses to run as root, so when the tests run as root
    (CI does) initdb/pg_ctl run as an unprivileged system user (``npscli-pg``,
    created with ``useradd --system`` on first use; ``nobody`` if that is
    impossible).  The privilege drop uses ``subprocess``' own ``user=``,
    ``group=`` and ``extra_groups=[]`` (setgroups/setresgid/setresuid in the
    child), so no runuser/su/sudo is needed.

SMTP
    aiosmtpd ``Controller`` on 127.0.0.1 recording every message; can be
    stopped and restarted on the same port, can refuse chosen recipients with
    550, and can require AUTH (LOGIN/PLAIN) over a plain connection.

HTTP
    ``ThreadingHTTPServer`` on 127.0.0.1 recording every request and answering
    a configurable status, for webhook tests.
"""

from __future__ import annotations

import asyncio
import atexit
import email
import email.policy
import errno
import glob
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = [
    "AuthAttempt",
    "HTTPRecorder",
    "PostgresNotFound",
    "PostgresServer",
    "PostgresTools",
    "ReceivedMessage",
    "RecordedRequest",
    "SMTPRecorder",
    "ci_enabled",
    "find_postgres_tools",
    "free_port",
    "libpq_url",
]

LOCALHOST = "127.0.0.1"


def free_port(host: str = LOCALHOST) -> int:
    """Return a TCP port that is free on ``host`` right now.

    The kernel picks it (bind to port 0); there is an unavoidable window
    before the caller binds it, so callers that can should retry on EADDRINUSE
    (``PostgresServer`` does).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ci_enabled() -> bool:
    """True when running in CI (env ``CI`` set to anything but ''/0/false/no/off)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


# --------------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------------

PG_SYSTEM_USER = "npscli-pg"
"""Unprivileged account the cluster runs as when the tests run as root."""

PG_BINDIR_ENV = "NPSCLI_TEST_PG_BINDIR"
"""Optional override: directory holding initdb and pg_ctl."""

_PG_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=100 -c timezone=UTC"
)


class PostgresNotFound(RuntimeError):
    """initdb/pg_ctl are not installed (or not where we look)."""


@dataclass(frozen=True)
class PostgresTools:
    initdb: Path
    pg_ctl: Path

    def version(self) -> str:
        out = subprocess.run([str(self.initdb), "--version"], capture_output=True, text=True, check=False)
        return out.stdout.strip()


def _tools_in(directory: Path) -> PostgresTools | None:
    initdb, pg_ctl = directory / "initdb", directory / "pg_ctl"
    if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
        return PostgresTools(initdb, pg_ctl)
    return None


def _version_key(bindir: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin -> numeric sort, so 15 > 9.6
    version = Path(bindir).parent.name
    return tuple(int(p) for p in re.findall(r"\d+", version)) or (0,)


def find_postgres_tools() -> PostgresTools:
    """Locate initdb and pg_ctl: $NPSCLI_TEST_PG_BINDIR, then PATH, then the
    newest /usr/lib/postgresql/*/bin.  Raises PostgresNotFound."""
    override = os.environ.get(PG_BINDIR_ENV)
    if override:
        tools = _tools_in(Path(override))
        if tools is None:
            raise PostgresNotFound(f"{PG_BINDIR_ENV}={override}: no executable initdb and pg_ctl there")
        return tools
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        # prefer a matching pair from one directory
        return _tools_in(Path(initdb).parent) or PostgresTools(Path(initdb), Path(pg_ctl))
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
        tools = _tools_in(Path(bindir))
        if tools is not None:
            return tools
    raise PostgresNotFound(
        "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH nor in /usr/lib/postgresql/*/bin. "
        "Install them (Debian/Ubuntu: apt-get install -y postgresql) or set "
        f"{PG_BINDIR_ENV} to the directory holding them."
    )


def _ensure_system_user(name: str = PG_SYSTEM_USER) -> pwd.struct_passwd:
    """Return the account the cluster runs as when we are root, creating it if needed.

    Several test sessions may race to create it; "already exists" and a busy
    /etc/passwd lock are retried.  Falls back to ``nobody`` only when useradd
    is missing or keeps failing.
    """
    useradd = shutil.which("useradd") or next(
        (p for p in ("/usr/sbin/useradd", "/sbin/useradd") if os.access(p, os.X_OK)), None
    )
    last_error = "useradd not found"
    for _ in range(20):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
        if useradd is None:
            break
        proc = subprocess.run(
            [
                useradd,
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
                "--comment",
                "npscli test PostgreSQL",
                name,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode == 0:
            continue
        last_error = (proc.stderr or proc.stdout).strip()
        # 9 = name in use (a concurrent session won), 10 = cannot lock /etc/passwd: retry
        if proc.returncode not in (9, 10):
            break
        time.sleep(0.1)
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        raise RuntimeError(
            f"running as root: could not create system user {name!r} ({last_error}) and there is no 'nobody'"
        ) from None


def libpq_url(url: str) -> str:
    """Turn a SQLAlchemy URL (``postgresql+psycopg://...``) into one psycopg/libpq accepts."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


_DBNAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PostgresServer:
    """A private PostgreSQL cluster.  Use as a context manager, or start()/stop().

    Attributes: ``host`` ('127.0.0.1'), ``port``, ``user`` ('postgres', trust auth,
    no password), ``url`` (SQLAlchemy URL of the ``postgres`` database),
    ``base_dir`` / ``data_dir`` / ``log_path`` (for debugging).
    """

    host = LOCALHOST
    user = "postgres"

    def __init__(self, tools: PostgresTools, *, start_timeout: float = 60.0):
        self.tools = tools
        self.start_timeout = start_timeout
        self.port: int = 0
        self.base_dir: Path | None = None
        self.run_as: pwd.struct_passwd | None = None  # set when we are root
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._started = False
        self._lock = threading.Lock()

    # -- public API ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.url_for("postgres")

    @property
    def data_dir(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "data"

    @property
    def log_path(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "server.log"

    def url_for(self, dbname: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of database ``dbname`` on this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """CREATE DATABASE ``name`` (empty, UTF8) and return its SQLAlchemy URL."""
        self._check_name(name)
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE IF EXISTS ``name`` WITH (FORCE): open connections are terminated."""
        self._check_name(name)
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def start(self) -> PostgresServer:
        with self._lock:
            if self._started:
                return self
            try:
                self._start()
            except BaseException:
                self._teardown()
                raise
            self._started = True
            atexit.register(self.stop)  # safety net if fixture teardown never runs
            return self

    def stop(self) -> None:
        """Stop the server (pg_ctl stop -m fast, escalating) and delete its directory. Idempotent."""
        with self._lock:
            self._started = False
            self._teardown()
            atexit.unregister(self.stop)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<PostgresServer {self.host}:{self.port} dir={self.base_dir} running={self._started}>"

    # -- internals ----------------------------------------------------------------------------------

    @staticmethod
    def _check_name(name: str) -> None:
        if not _DBNAME_RE.match(name):
            raise ValueError(f"invalid database name {name!r} (letters, digits, underscore; max 63)")

    def _admin(self, statement: str) -> None:
        import psycopg  # imported lazily: only tests that need PostgreSQL pay for it

        with psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        ) as conn:
            conn.execute(statement)

    def _subprocess_kwargs(self) -> dict[str, Any]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"  # untranslated error messages; the cluster locale is passed explicitly
        kwargs: dict[str, Any] = {"env": env, "cwd": str(self.base_dir)}
        if self.run_as is not None:
            kwargs.update(user=self.run_as.pw_uid, group=self.run_as.pw_gid, extra_groups=[])
            env.update(HOME=str(self.base_dir), USER=self.run_as.pw_name, LOGNAME=self.run_as.pw_name)
        return kwargs

    def _run(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            **self._subprocess_kwargs(),
        )

    def _start(self) -> None:
        if os.geteuid() == 0:
            self.run_as = _ensure_system_user()
        # Short path under /tmp: the Unix socket path must stay under ~107 bytes, and every
        # parent must be traversable by the unprivileged user (mkdtemp's 0700 dir is chowned to it).
        parent = "/tmp" if os.geteuid() == 0 or len(tempfile.gettempdir()) > 60 else None
        worker = re.sub(r"\W", "", os.environ.get("PYTEST_XDIST_WORKER", ""))  # gw0, gw1: one cluster each
        self.base_dir = Path(tempfile.mkdtemp(prefix=f"npscli-pg-{worker}-" if worker else "npscli-pg-", dir=parent))
        if self.run_as is not None:
            for ancestor in self.base_dir.parents:
                if not os.stat(ancestor).st_mode & 0o001:
                    raise RuntimeError(f"{ancestor} is not traversable by {self.run_as.pw_name} (needs o+x)")
            os.chown(self.base_dir, self.run_as.pw_uid, self.run_as.pw_gid)
        self._start_watchdog()
        self._initdb()
        self._pg_ctl_start()

    def _initdb(self) -> None:
        proc = None
        for locale in ("C.UTF-8", "C"):  # C.UTF-8: codepoint order, but upper()/lower() know accents
            proc = self._run(
                str(self.tools.initdb),
                "-D",
                str(self.data_dir),
                "-A",
                "trust",
                "-U",
                self.user,
                "--no-sync",
                "-E",
                "UTF8",
                f"--locale={locale}",
                timeout=120,
            )
            if proc.returncode == 0:
                return
            shutil.rmtree(self.data_dir, ignore_errors=True)
        assert proc is not None
        raise RuntimeError(f"initdb failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")

    def _pg_ctl_start(self) -> None:
        assert self.base_dir is not None
        for _attempt in range(5):
            self.port = free_port()
            self.log_path.unlink(missing_ok=True)  # so the port check below reads this attempt only
            options = f"-p {self.port} -k {shlex.quote(str(self.base_dir))} {_PG_OPTIONS}"
            proc = self._run(
                str(self.tools.pg_ctl),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_path),
                "-w",
                "-t",
                str(int(self.start_timeout)),
                "-o",
                options,
                "start",
                timeout=self.start_timeout + 10,
            )
            if proc.returncode == 0:
                return
            log = self._log_tail()
            if any(s in log for s in ("could not bind", "already in use", "could not create any TCP")):
                continue  # lost the free-port race: try another port
            raise RuntimeError(
                f"pg_ctl start failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}\n"
                f"--- {self.log_path} ---\n{log}"
            )
        raise RuntimeError(f"pg_ctl start: no free port after 5 attempts\n{self._log_tail()}")

    def _log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError, AssertionError):
            return None

    def _stop_server(self) -> None:
        for mode in ("fast", "immediate"):
            try:
                proc = self._run(
                    str(self.tools.pg_ctl),
                    "-D",
                    str(self.data_dir),
                    "stop",
                    "-m",
                    mode,
                    "-w",
                    "-t",
                    "30",
                    timeout=40,
                )
            except subprocess.TimeoutExpired:
                continue
            if proc.returncode == 0 or self._postmaster_pid() is None:
                return
        pid = self._postmaster_pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _teardown(self) -> None:
        try:
            if self._postmaster_pid() is not None:  # also after a failed/timed-out start
                self._stop_server()
        finally:
            self._cleanup()
            self._release_watchdog()

    def _cleanup(self) -> None:
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    def _start_watchdog(self) -> None:
        """Spawn a tiny process that waits for EOF on a pipe from us, then stops the cluster
        and deletes its directory.  EOF comes from stop() or, if pytest is killed (SIGTERM,
        SIGKILL, crash) and no teardown runs, from the kernel closing our end.  It runs in its
        own session so a Ctrl-C aimed at pytest doesn't reach it."""
        uid, gid = (self.run_as.pw_uid, self.run_as.pw_gid) if self.run_as is not None else (-1, -1)
        self._watchdog = subprocess.Popen(
            [
                sys.executable,
                "-I",
                str(Path(__file__).resolve()),
                "--watchdog",
                str(self.tools.pg_ctl),
                str(self.base_dir),
                str(uid),
                str(gid),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _release_watchdog(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None:
            return
        assert watchdog.stdin is not None
        watchdog.stdin.close()
        try:
            watchdog.wait(timeout=15)
        except subprocess.TimeoutExpired:
            watchdog.kill()
            watchdog.wait()


def _watchdog_main(pg_ctl: str, base_dir: str, uid: str, gid: str) -> None:
    """See PostgresServer._start_watchdog.  Runs as ``python -I servers.py --watchdog ...``."""
    sys.stdin.buffer.read()  # blocks until the test process closes the pipe or dies
    data_dir = Path(base_dir) / "data"
    pid_file = data_dir / "postmaster.pid"
    if pid_file.exists():
        kwargs: dict[str, Any] = {}
        if int(uid) >= 0:
            kwargs = {"user": int(uid), "group": int(gid), "extra_groups": []}
        try:
            subprocess.run(
                [pg_ctl, "-D", str(data_dir), "stop", "-m", "immediate", "-w", "-t", "20"],
                cwd=base_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=30,
                check=False,
                **kwargs,
            )
        except (OSError, subprocess.SubprocessError):
            pass
        try:
            os.kill(int(pid_file.read_text().split("\n", 1)[0]), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    shutil.rmtree(base_dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------------
# SMTP
# --------------------------------------------------------------------------------------------------


@dataclass
class ReceivedMessage:
    """One message accepted by the SMTP server."""

    mail_from: str
    rcpt_tos: list[str]  # accepted recipients only (refused ones never reach DATA)
    data: bytes  # raw message bytes as received
    message: EmailMessage  # parsed with email.policy.default
    auth_login: str | None = None  # the AUTH login used on that connection, if any


@dataclass
class AuthAttempt:
    mechanism: str
    login: str
    password: str
    success: bool


class _RecordingHandler:
    """aiosmtpd handler; runs in the controller's event-loop thread."""

    def __init__(self, recorder: SMTPRecorder):
        self.recorder = recorder

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.recorder.credentials is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in {a.lower() for a in self.recorder.refuse}:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content if envelope.original_content is not None else envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        login = session.login_data
        self.recorder.messages.append(
            ReceivedMessage(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                data=raw,
                message=email.message_from_bytes(raw, policy=email.policy.default),
                auth_login=login.decode("utf-8", "replace") if isinstance(login, bytes) else login,
            )
        )
        received = self.recorder.messages[-1]
        while self.recorder.holds(received):  # the message is in; the client waits for the 250 (see hold_replies)
            await asyncio.sleep(0.01)
        return "250 2.0.0 Message accepted for delivery"


class SMTPRecorder:
    """A real SMTP server on 127.0.0.1 that records what it receives.

    ``messages``: list of ReceivedMessage; ``refuse``: set of addresses answered
    with 550 at RCPT (case-insensitive); ``auth_attempts``: list of AuthAttempt.
    ``hold_replies``: while True, a message is recorded but its final "250" is held back (a client killed
    then has had its message accepted without knowing it); a callable ``hold_replies(received)`` holds back
    only the messages it returns True for.
    ``stop()``/``start()`` take it down and bring it back on the same port.
    """

    host = LOCALHOST

    def __init__(self, port: int | None = None):
        self._port_chosen = port is None  # ours to change while it has never been bound (free-port race)
        self.port = port or free_port()
        self.messages: list[ReceivedMessage] = []
        self.refuse: set[str] = set()
        self.auth_attempts: list[AuthAttempt] = []
        self.credentials: tuple[str, str] | None = None
        self.hold_replies: bool | Callable[[ReceivedMessage], bool] = False
        self._controller = None

    def holds(self, received: ReceivedMessage) -> bool:
        hold = self.hold_replies
        return bool(hold(received)) if callable(hold) else bool(hold)

    def kill_while_held(
        self,
        args: list[str],
        *,
        cwd: Path,
        env: dict[str, str],
        hold: bool | Callable[[ReceivedMessage], bool],
        sent: Callable[[], bool],
        timeout: float = 60,
    ) -> None:
        """Run ``npscli ARGS`` in a process, hold back the "250" of the messages ``hold`` picks, and kill -9 the
        process as soon as ``sent()`` holds (the server has the message, the client never heard it did)."""
        self.hold_replies = hold
        proc = subprocess.Popen(
            [sys.executable, "-m", "npscli", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + timeout
            while not sent():
                assert proc.poll() is None, "the run ended before it sent what the test waits for"
                assert time.monotonic() < deadline, "nothing was sent in time"
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            self.hold_replies = False
            if proc.poll() is None:
                proc.kill()

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SMTPRecorder:
        """Start listening (again) on ``self.port``.  No-op when already running."""
        if self._controller is not None:
            return self
        from aiosmtpd.controller import Controller  # lazily: only SMTP tests pay for it

        kwargs: dict[str, Any] = {}
        if self.credentials is not None:
            # AUTH advertised on a plain connection.  Enforcement ("530 Authentication required")
            # is done in handle_MAIL rather than with auth_required=True, which makes aiosmtpd
            # emit a UserWarning on every connection.
            kwargs = {"auth_require_tls": False, "authenticator": self._authenticate}
        for attempt in range(5):
            # a new Controller each time: a stopped Controller's event loop is closed for good
            controller = Controller(
                _RecordingHandler(self),
                hostname=self.host,
                port=self.port,
                server_hostname="smtp.npscli.test",  # avoids a socket.getfqdn() DNS lookup per connection
                ready_timeout=10.0,
                **kwargs,
            )
            try:
                controller.start()
                break
            except OSError as exc:
                # Another process (a parallel test worker) took the free port first: take another one.
                if not (self._port_chosen and exc.errno == errno.EADDRINUSE and attempt < 4):
                    raise
                self.port = free_port()
        self._port_chosen = False  # bound once: stop()/start() keep this port from now on
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening: connecting now fails with ConnectionRefusedError.  Idempotent."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def require_auth(self, user: str, password: str) -> None:
        """From now on advertise AUTH (PLAIN, LOGIN; no TLS needed), accept only
        ``user``/``password`` and refuse MAIL FROM before a successful login.
        Restarts the server (same port) if it is running."""
        self.credentials = (user, password)
        if self.running:
            self.stop()
            self.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        ok = self.credentials is not None and (login, password) == self.credentials
        self.auth_attempts.append(AuthAttempt(mechanism, login, password, ok))
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def __repr__(self) -> str:
        return f"<SMTPRecorder {self.host}:{self.port} running={self.running} messages={len(self.messages)}>"


# --------------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    method: str
    path: str  # including the query string, as sent
    headers: HTTPMessage  # case-insensitive: headers["content-type"]
    body: bytes
    json: Any = None  # parsed body, or None when it is not JSON


class _RecordingHTTPHandler(BaseHTTPRequestHandler):
    server: _RecordingHTTPServer

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        recorder = self.server.recorder
        body = self._read_body()
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        recorder.requests.append(RecordedRequest(self.command, self.path, self.headers, body, parsed))
        if recorder.delay:
            time.sleep(recorder.delay)
        status = recorder._next_status()
        payload = recorder.response_body
        self.send_response(status)
        self.send_header("Content-Type", recorder.response_content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET = do_HEAD = _handle

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


class _RecordingHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    recorder: HTTPRecorder


@dataclass
class HTTPRecorder:
    """A real HTTP server on 127.0.0.1 that records requests (any method).

    ``status``: answer for every request (default 200); ``statuses``: optional
    queue consumed first, one per request (e.g. [500, 500] then ``status``: for
    retry tests); ``delay``: seconds to wait before answering (timeout tests);
    ``response_body``: bytes sent back.  ``url`` is the base URL, no trailing slash.
    """

    status: int = 200
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    response_body: bytes = b'{"ok": true}'
    response_content_type: str = "application/json"
    requests: list[RecordedRequest] = field(default_factory=list)
    host: str = LOCALHOST
    port: int = 0
    _server: _RecordingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _next_status(self) -> int:
        with self._lock:
            return self.statuses.pop(0) if self.statuses else self.status

    def start(self) -> HTTPRecorder:
        if self._server is not None:
            return self
        server = _RecordingHTTPServer((self.host, self.port), _RecordingHTTPHandler)
        server.recorder = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"http-recorder:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "--watchdog":
    _watchdog_main(*sys.argv[2:])
