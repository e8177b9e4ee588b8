"""Writing outreach drafts: RFC 5322 ``.eml`` files that open as editable drafts, and ``.txt``/``.md`` documents.

* ``draft_eml(...)`` builds the bytes of one unsent message: ``From`` and ``Reply-To`` the real sender,
  ``To`` the patient, ``X-Unsent: 1`` (Outlook opens it as a draft to edit and send), a plain-text UTF-8 body.
  It carries no ``Auto-Submitted`` header: it is a personal message a person sends, and the patient's reply
  must not be suppressed. The ``Message-ID`` is derived from the content and the time, so a run with
  ``--as-of`` gives the same bytes twice (golden tests rely on it).
* ``email_as_text(...)`` is the same draft as a plain-text or Markdown document (for a patient portal).
* ``draft_stem(ticket, patient_name, suffix)`` is a file name stem that is safe whatever the name holds:
  ASCII-folded, no path separators or control characters, length-limited (``T-000123-ana-perez``).
* ``write_new(directory, stem, ext, data)`` writes a file atomically (temporary file, then a hard link that
  fails rather than replace) with mode 0600, never overwriting an existing draft someone may have edited:
  it picks ``-2``, ``-3``, ... instead.

Pure standard library.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

__all__ = [
    "Party",
    "address_header",
    "draft_eml",
    "draft_stem",
    "email_as_text",
    "is_plausible_address",
    "slug",
    "subject_header",
    "write_new",
]

MAX_SLUG = 40
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# An address we are willing to put in a header: one @, no spaces, quotes, brackets or control characters.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)+$"
)


@dataclass(frozen=True)
class Party:
    """A person on a message: display name and address."""

    name: str
    email: str

    def header(self) -> Address:
        username, _, domain = self.email.partition("@")
        return Address(display_name=one_line(self.name), username=username, domain=domain)

    def __str__(self) -> str:
        return str(self.header())


def one_line(text: str | None) -> str:
    """``text`` without control characters or line breaks, spaces collapsed (safe in a header)."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


def is_plausible_address(text: str | None) -> bool:
    return bool(text) and len(text) <= 254 and bool(_ADDRESS.fullmatch(text))  # fullmatch: no trailing newline


def _message_id(sender: Party, seed: str, date: datetime) -> str:
    digest = hashlib.sha256(f"{seed}\x00{date.isoformat()}".encode()).hexdigest()[:12]
    domain = sender.email.rpartition("@")[2] or "npscli.invalid"
    return f"<npscli.{date:%Y%m%d%H%M%S}.{digest}@{domain}>"


def draft_eml(*, sender: Party, to: Party, subject: str, body: str, date: datetime, seed: str = "") -> bytes:
    """One unsent plain-text message as RFC 5322 bytes (CRLF line ends), ready to open in a mail client."""
    import email.policy

    # CRLF line ends (RFC 5322) and at most 76 columns, the limit RFC 2045 sets for quoted-printable lines;
    # refold_source="none" leaves the address and subject fields as address_header() and subject_header()
    # folded them.
    policy = email.policy.SMTP.clone(max_line_length=76, refold_source="none")
    msg = EmailMessage(policy=policy)
    msg.set_raw("From", address_header(sender, "From"))
    msg.set_raw("Reply-To", address_header(sender, "Reply-To"))
    msg.set_raw("To", address_header(to, "To"))
    msg.set_raw("Subject", subject_header(subject))
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = _message_id(sender, f"{seed}\x00{to.email}\x00{subject}\x00{body}", date)
    msg["X-Unsent"] = "1"
    text = body if body.endswith("\n") else body + "\n"
    # Quoted-printable keeps non-ASCII text and long paragraphs (one line each, so the draft stays easy
    # to edit) inside the 78-column limit of the file, and every client decodes it.
    msg.set_content(text, charset="utf-8", cte="7bit" if _is_short_ascii(text) else "quoted-printable")
    return msg.as_bytes(policy=policy)


def address_header(party: Party, field: str, width: int = 76) -> str:
    """``Name <address>`` for a From/Reply-To/To field, reading back exactly as written.

    An ASCII name is quoted when it needs to be ("Dr. Sam Reyes"). In a non-ASCII name each run of words that
    needs encoding becomes one RFC 2047 encoded word, between plain words: two encoded words side by side are
    read differently by RFC 2047 decoders (the space between them dropped) and by Python's parser (kept), and
    the standard library's own folding can split a word ("Gutiérrez de la Pe ña"). Folded between words.
    """
    from email.quoprimime import header_encode
    from email.utils import formataddr

    address = party.email.strip()
    name = one_line(party.name)
    if not is_plausible_address(address):
        raise ValueError("not an e-mail address")  # callers check first; never a header built from junk
    if name.isascii():
        return formataddr((name, address))

    def encoded(words: list[str]) -> str:
        return header_encode(" ".join(words).encode(), charset="utf-8")  # =?utf-8?q?...?=, phrase-safe

    tokens: list[str] = []
    run: list[str] = []
    for word in name.split(" "):
        if _ATOM.fullmatch(word):
            if run:
                tokens.append(encoded(run))
                run = []
            tokens.append(word)
        else:
            run.append(word)
    if run:
        tokens.append(encoded(run))
    tokens.append(f"<{address}>")
    return _fold(tokens, f"{field}: ", width)


# A word that may stand as it is in a display name (RFC 5322 atext).
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")


def _fold(tokens: list[str], lead: str, width: int) -> str:
    """Tokens joined by spaces, folded between them (CRLF and a space) to keep lines within ``width``."""
    lines = [lead]
    for token in tokens:
        if lines[-1] not in (lead, " ") and len(lines[-1]) + 1 + len(token) > width:
            lines.append(" ")
        lines[-1] += token if lines[-1] in (lead, " ") else " " + token
    return "\r\n".join(lines)[len(lead) :]


def subject_header(subject: str, width: int = 76) -> str:
    """The Subject field body, folded so that it reads back exactly as written.

    The standard library folds a subject that just misses the first line onto a continuation line of its
    own ("Subject:" CRLF " I'm sorry ..."), which parses back with a leading space, and can double a space
    next to an encoded word. Here ASCII text is folded between words, the first line never empty, and
    other text becomes RFC 2047 encoded words (whitespace between them is not part of the text).
    """
    import textwrap
    from email.header import Header

    text = one_line(subject)
    if not text.isascii():
        return Header(text, "utf-8", maxlinelen=width, header_name="Subject").encode(linesep="\r\n")
    lead = "Subject: "
    lines = textwrap.wrap(
        text,
        width=width,
        initial_indent=lead,
        subsequent_indent=" ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "\r\n".join(lines)[len(lead) :] if lines else ""


def _is_short_ascii(text: str) -> bool:
    return text.isascii() and all(len(line) <= 76 for line in text.splitlines())


def email_as_text(*, sender: Party, to: Party, subject: str, body: str, fmt: str) -> bytes:
    """The draft as a readable document: the addresses and subject above the body (``txt`` or ``md``)."""
    fields = [("To", str(to)), ("From", str(sender)), ("Reply-To", str(sender)), ("Subject", one_line(subject))]
    if fmt == "md":
        head = "\n".join(f"**{key}:** {_md_escape(value)}  " for key, value in fields)
    else:
        head = "\n".join(f"{key}: {value}" for key, value in fields)
    text = body if body.endswith("\n") else body + "\n"
    return f"{head}\n\n{text}".encode()


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_<>\[\]#|])", r"\\\1", text)


def slug(text: str | None, limit: int = MAX_SLUG) -> str:
    """``"Ána Pérez/../x"`` -> ``"ana-perez-x"``: ASCII letters and digits joined by ``-``, at most ``limit``
    characters, cut at a word boundary when possible; empty when nothing usable is left."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", " ", ascii_text.lower()).split()
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            if not out:
                out = word[:limit]
            break
        out = candidate
    return out


def draft_stem(ticket_label: str, patient_name: str | None = None, suffix: str = "") -> str:
    """``T-000123`` + ``"Ana Pérez"`` + ``"call-script"`` -> ``T-000123-ana-perez-call-script``."""
    parts = [slug(ticket_label, 20).upper() or "DRAFT", slug(patient_name), slug(suffix, 20)]
    return "-".join(p for p in parts if p)


def write_new(directory: Path, stem: str, ext: str, data: bytes) -> Path:
    """Write ``data`` to ``directory/stem.ext`` (or ``stem-2.ext``, ... when taken), atomically, mode 0600.

    The file appears complete or not at all (a temporary file, fsynced, then hard-linked to its name; the
    link fails instead of replacing a file that exists, so a draft someone edited is never overwritten).
    """
    from npscli.io.private import private_dir

    private_dir(directory)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".draft-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        for attempt in range(1, 1000):
            final = directory / (f"{stem}.{ext}" if attempt == 1 else f"{stem}-{attempt}.{ext}")
            try:
                os.link(tmp, final)
            except FileExistsError:
                continue
            except OSError:  # a file system without hard links: check, then rename
                if final.exists() or final.is_symlink():
                    continue
                os.replace(tmp, final)
            return final
        raise FileExistsError(f"{directory / stem}.{ext}: too many drafts with this name")
    finally:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
