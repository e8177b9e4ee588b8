"""The one SMTP sender (alerts, the weekly report): build messages, send them, report per recipient.

* ``SmtpSettings.from_section(settings.section("smtp"))`` builds the settings from ``[smtp]`` (its keys are
  declared and checked in ``npscli.core.config_schema``). The password is read only from the environment
  variable ``NPSCLI_SMTP_PASSWORD``; a ``password`` key in the file is refused when the file is loaded.
* ``compose(...)`` builds an ``Outgoing`` (an ``EmailMessage`` with its envelope recipients) with a plain
  text body and an optional HTML alternative; ``Outgoing.attach(data, filename, mimetype)`` adds files.
* ``SmtpMailer(settings).send(messages) -> list[Result]`` sends them over one connection (reconnecting
  once if it drops before a message) and returns one ``Result`` per envelope recipient: accepted, or not and
  why, or ``uncertain``: sent but never answered (a timeout or a drop after DATA), so never sent again here.
  ``iter_send`` yields the results as they happen, so a caller can record each success right away.
* ``OutboxMailer(directory, now=...)`` has the same interface and writes ``.eml`` files instead (mode 0600), named
  by the run's "now" (``--as-of`` / ``NPSCLI_NOW``).

Nothing here raises for a delivery problem (a server down, a refused login, a refused recipient): it is
reported in the ``Result`` and the caller decides. Error texts never contain the password.
"""

from __future__ import annotations

import base64
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from npscli.core import config_schema as schema
from npscli.core.errors import ConfigError

PASSWORD_ENV = schema.SMTP_PASSWORD_ENV
DEFAULT_PORTS = schema.SMTP_DEFAULT_PORTS


# ---------------------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = DEFAULT_PORTS[schema.default("smtp", "security")]
    security: str = schema.default("smtp", "security")
    user: str | None = None
    timeout: float = schema.default("smtp", "timeout")
    helo: str | None = None  # the name given in EHLO (default: this machine's name)
    password: str | None = field(default=None, repr=False)

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def from_section(
        cls,
        section: dict[str, Any],
        *,
        where: str | Callable[[str, str | None], str | None] | None = None,
        environ: dict[str, str] | None = None,
    ) -> SmtpSettings:
        """The ``[smtp]`` table (checked against the schema, ``npscli.core.config_schema``, when the file was
        loaded; checked again here when handed a raw table) plus what only the environment and a real send
        can tell: a host to send through, and the password of ``user`` from NPSCLI_SMTP_PASSWORD.

        ``where`` names the file in messages: a string, or ``Settings.where`` (then with the key's line)."""
        environ = os.environ if environ is None else environ

        def at(key: str | None) -> str:
            place = where("smtp", key) if callable(where) else where
            return f"{place}: " if place else ""

        schema.require_valid("smtp", section, at(None).removesuffix(": ") or None)
        host = section.get("host")
        if not host:
            raise ConfigError(
                f"{at('host')}[smtp] host: is not set: there is no mail server to send through",
                hint='add [smtp] host = "smtp.example.org" to npscli.toml, or use --outbox DIR to write .eml files',
            )
        security = section.get("security", schema.default("smtp", "security"))
        port = section.get("port", DEFAULT_PORTS[security])
        timeout = section.get("timeout", schema.default("smtp", "timeout"))
        user = section.get("user")
        helo = section.get("helo")
        password = environ.get(PASSWORD_ENV) or None
        if user and not password:
            raise ConfigError(
                f"{at('user')}[smtp] user: is set but the environment variable {PASSWORD_ENV} is empty",
                hint=f"export {PASSWORD_ENV} in the job that runs npscli (never put it in npscli.toml)",
            )
        return cls(
            host=host.strip(),
            port=port,
            security=security,
            user=user.strip() if user else None,
            timeout=float(timeout),
            helo=helo.strip() if helo else None,
            password=password,
        )


# ---------------------------------------------------------------------------------------------- messages


@dataclass
class Outgoing:
    """One message and its envelope. ``tag`` is the caller's bookkeeping (never sent);
    ``name`` is a hint for the outbox file name."""

    message: EmailMessage
    recipients: list[str]
    sender: str
    tag: Any = None
    name: str = ""

    def attach(self, data: bytes, filename: str, mimetype: str) -> None:
        """Add a file, e.g. ``attach(pdf_bytes, "weekly.pdf", "application/pdf")``."""
        maintype, _, subtype = mimetype.partition("/")
        if not maintype or not subtype:
            raise ValueError(f"not a MIME type: {mimetype!r}")
        if maintype == "text":
            self.message.add_attachment(data.decode("utf-8"), subtype=subtype, filename=filename)
        else:
            self.message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)


def bare_address(text: str) -> str:
    return parseaddr(text)[1] or text


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def compose(
    *,
    sender: str,
    to: Iterable[str],
    subject: str,
    text: str,
    html: str | None = None,
    cc: Iterable[str] = (),
    reply_to: str | None = None,
    date: datetime | None = None,
    headers: dict[str, str] | None = None,
    tag: Any = None,
    name: str = "",
    message_id: str | None = None,
) -> Outgoing:
    """A message with a plain-text body (and an HTML alternative when ``html`` is given).

    ``message_id`` is a stable ``<...@...>`` for a message that may be sent again (an alert after a killed
    run), so that mail systems drop the copy; by default a new one.
    Addresses may carry names ("Maria Lopez <maria@x.org>"); the subject is folded onto one line.
    Marked ``Auto-Submitted: auto-generated`` so that mail systems send no out-of-office replies to it.
    """
    to = list(to)
    cc = list(cc)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    if reply_to:
        msg["Reply-To"] = reply_to
    from npscli.io.eml import subject_header

    msg.set_raw("Subject", subject_header(subject))  # folded to read back exactly (the library's may not)
    msg["Date"] = format_datetime(date or datetime.now().astimezone())
    domain = bare_address(sender).rpartition("@")[2] or None
    # a domain given: no slow DNS lookup of our own name
    msg["Message-ID"] = message_id or make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    for key, value in (headers or {}).items():
        msg[key] = _one_line(value)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return Outgoing(
        message=msg,
        recipients=[bare_address(a) for a in to + cc],
        sender=bare_address(sender),
        tag=tag,
        name=name,
    )


@dataclass(frozen=True)
class Result:
    """The fate of one message for one envelope recipient."""

    outgoing: Outgoing
    recipient: str
    ok: bool
    error: str | None = None
    where: str = ""  # "smtp host:port" or the outbox file written
    # not ok, yet perhaps delivered: the message was sent and the server's answer never came (a timeout while it
    # scanned the message, a dropped connection); the caller must not count it as surely undelivered
    uncertain: bool = False


# ---------------------------------------------------------------------------------------------- SMTP


class _ConnectFailed(Exception):
    """Connecting, TLS or login failed: nothing can be sent in this run."""


def _decode(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class _DataAware:
    """An SMTP connection that knows whether the current message's DATA has begun (``data_started``): a
    connection lost or timed out after that may have lost only the server's "250 accepted"."""

    data_started = False

    def data(self, msg):  # noqa: ANN001, ANN201 - smtplib's signature
        self.data_started = True
        return super().data(msg)


class _SMTP(_DataAware, smtplib.SMTP):
    pass


class _SMTP_SSL(_DataAware, smtplib.SMTP_SSL):  # noqa: N801 - smtplib's name
    pass


class SmtpMailer:
    """Sends over SMTP with the configured security; see the module docstring."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    # -- error texts: short, one line, never the password

    def _scrub(self, text: str) -> str:
        password = self.settings.password
        if password:
            secrets = {password, base64.b64encode(password.encode()).decode()}
            if self.settings.user:
                secrets.add(base64.b64encode(f"\0{self.settings.user}\0{password}".encode()).decode())
            for secret in secrets:
                text = text.replace(secret, "***")
        return _one_line(text)[:300]

    def _describe(self, exc: BaseException) -> str:
        s = self.settings
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            text = f"SMTP login as {s.user} on {s.server} refused ({exc.smtp_code} {_decode(exc.smtp_error)})"
        elif isinstance(exc, smtplib.SMTPNotSupportedError):
            text = f"{s.server}: {exc}"
        elif isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == -1:  # no SMTP reply code
            text = f"{s.server} did not answer like a mail server (check smtp.host and smtp.port)"
        elif isinstance(exc, smtplib.SMTPResponseException):
            text = f"{s.server} answered {exc.smtp_code} {_decode(exc.smtp_error)}"
        elif isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc):  # smtplib's wording
            text = f"{s.server} did not answer within {s.timeout:g} s"
        elif isinstance(exc, smtplib.SMTPServerDisconnected):
            text = f"{s.server} closed the connection"
        elif isinstance(exc, ssl.SSLError):
            text = f"TLS with {s.server} failed ({exc.reason or exc})"
        elif isinstance(exc, TimeoutError | socket.timeout):
            text = f"{s.server} did not answer within {s.timeout:g} s"
        elif isinstance(exc, socket.gaierror):
            text = f"cannot resolve the SMTP host {s.host!r}"
        elif isinstance(exc, OSError):
            text = f"cannot connect to {s.server} ({exc.strerror or type(exc).__name__})"
        else:
            text = f"{s.server}: {type(exc).__name__}"
        return self._scrub(text)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        # the system's certificates are loaded only for a connection that uses TLS (about 70 ms each time)
        context = ssl.create_default_context() if s.security in ("ssl", "starttls") else None
        conn: smtplib.SMTP | None = None
        try:
            if s.security == "ssl":
                conn = _SMTP_SSL(s.host, s.port, local_hostname=s.helo, timeout=s.timeout, context=context)
            else:
                conn = _SMTP(s.host, s.port, local_hostname=s.helo, timeout=s.timeout)
            conn.ehlo()
            if s.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise _ConnectFailed(
                        f"{s.server} does not offer STARTTLS; refusing to send in clear text "
                        '(set smtp.security = "ssl" or, on a trusted local relay only, "none")'
                    )
                conn.starttls(context=context)
                conn.ehlo()
            if s.user:
                conn.login(s.user, s.password or "")
            return conn
        except _ConnectFailed:
            _close(conn)
            raise
        except (smtplib.SMTPException, OSError) as exc:
            _close(conn)
            raise _ConnectFailed(self._describe(exc)) from None

    def send(self, messages: Iterable[Outgoing]) -> list[Result]:
        return list(self.iter_send(messages))

    def iter_send(
        self, messages: Iterable[Outgoing], *, before: Callable[[Outgoing], None] | None = None
    ) -> Iterator[Result]:
        """One ``Result`` per envelope recipient, yielded right after the server answered.

        ``before(message)`` is called just before each SMTP transaction (to record the attempt)."""
        queue = list(messages)
        conn: smtplib.SMTP | None = None
        reconnected = False
        i = 0
        try:
            while i < len(queue):
                out = queue[i]
                if conn is None:
                    try:
                        conn = self._connect()
                    except _ConnectFailed as exc:
                        for rest in queue[i:]:
                            yield from _all_failed(rest, str(exc), self.settings.server)
                        return
                if before is not None:
                    before(out)
                conn.data_started = False
                try:
                    refused = conn.send_message(out.message, from_addr=out.sender, to_addrs=out.recipients)
                except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused
                    refused = exc.recipients
                except OSError as exc:  # (smtplib's errors are OSErrors)
                    if conn.data_started and not isinstance(exc, smtplib.SMTPResponseException):
                        # The message was sent and its answer lost (a timeout while the server scanned it, a
                        # dropped connection): perhaps delivered. Not sent again in this run; the next one resends
                        # it with the same Message-ID, told as uncertain.
                        _close(conn)
                        conn = None
                        error = f"{self._describe(exc)} after the message was sent (it may have been delivered)"
                        for recipient in out.recipients:
                            yield Result(
                                out, recipient, False, error, where=f"smtp {self.settings.server}", uncertain=True
                            )
                    elif isinstance(exc, smtplib.SMTPServerDisconnected):
                        _close(conn)
                        conn = None
                        if not reconnected:  # the server dropped us before the message (idle timeout): once more
                            reconnected = True
                            continue
                        yield from _all_failed(out, self._describe(exc), self.settings.server)
                    else:  # sender or data refused, I/O error
                        yield from _all_failed(out, self._describe(exc), self.settings.server)
                        conn = self._reset(conn)
                    i += 1
                    continue
                for recipient in out.recipients:
                    answer = _lookup(refused, recipient)
                    if answer is None:
                        yield Result(out, recipient, True, where=f"smtp {self.settings.server}")
                    else:
                        code, text = answer
                        error = self._scrub(f"{self.settings.server} refused {recipient}: {code} {_decode(text)}")
                        yield Result(out, recipient, False, error, where=f"smtp {self.settings.server}")
                i += 1
        finally:
            _close(conn, polite=True)

    @staticmethod
    def _reset(conn: smtplib.SMTP) -> smtplib.SMTP | None:
        try:
            conn.rset()
            return conn
        except (smtplib.SMTPException, OSError):
            _close(conn)
            return None


def _lookup(refused: dict, recipient: str) -> tuple[int, Any] | None:
    for address, answer in (refused or {}).items():
        if address.lower() == recipient.lower():
            return answer
    return None


def _all_failed(out: Outgoing, error: str, server: str) -> Iterator[Result]:
    for recipient in out.recipients:
        yield Result(out, recipient, False, error, where=f"smtp {server}")


def _close(conn: smtplib.SMTP | None, polite: bool = False) -> None:
    if conn is None:
        return
    try:
        if polite:
            conn.quit()
        else:
            conn.close()
    except (smtplib.SMTPException, OSError):
        try:
            conn.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------- outbox

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


class OutboxMailer:
    """Writes each message as an ``.eml`` file into ``directory`` instead of sending it.

    Files are created readable by their owner only (alerts quote patient comments), written under a
    temporary name first so a program watching the folder never picks up half a message.
    """

    def __init__(self, directory: Path | str, *, now: datetime | None = None) -> None:
        self.directory = Path(directory).expanduser()
        self.now = now  # the run's "now" (--as-of / NPSCLI_NOW) names the files; else the clock

    def send(self, messages: Iterable[Outgoing]) -> list[Result]:
        return list(self.iter_send(messages))

    def iter_send(
        self, messages: Iterable[Outgoing], *, before: Callable[[Outgoing], None] | None = None
    ) -> Iterator[Result]:
        messages = list(messages)
        try:
            from npscli.io.private import private_dir

            private_dir(self.directory)
        except OSError as exc:
            error = f"cannot create the outbox {self.directory} ({exc.strerror})"
            for out in messages:
                yield from _all_failed(out, error, "outbox")
            return
        stamp = (self.now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        for n, out in enumerate(messages, start=1):
            if before is not None:
                before(out)
            try:
                path = self._write(out, f"{stamp}-{n:04d}-{_UNSAFE.sub('_', out.name or 'message')[:80]}")
            except OSError as exc:
                yield from _all_failed(out, f"cannot write to the outbox {self.directory} ({exc.strerror})", "outbox")
                continue
            for recipient in out.recipients:
                yield Result(out, recipient, True, where=str(path))

    def _write(self, out: Outgoing, stem: str) -> Path:
        import email.policy

        data = out.message.as_bytes(policy=email.policy.SMTP)
        for attempt in range(100):
            final = self.directory / (f"{stem}.eml" if attempt == 0 else f"{stem}-{attempt}.eml")
            tmp = final.with_name(final.name + ".part")
            if final.exists():
                continue
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, final)
            return final
        raise FileExistsError(f"no free file name for {stem} in {self.directory}")
