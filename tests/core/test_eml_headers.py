"""Draft headers read back exactly as written: by Python's parser and by RFC 2047 decoders (mail programs)."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime
from email.header import decode_header, make_header

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npscli.io import eml

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
SENDER = eml.Party("Maria Lopez", "maria.lopez@riverside.example.org")


def draft(to_name: str = "Ana Pérez", subject: str = "Hello", sender: eml.Party = SENDER) -> bytes:
    return eml.draft_eml(
        sender=sender, to=eml.Party(to_name, "patient@example.org"), subject=subject, body="Dear Ana,\n", date=NOW
    )


def parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def as_mail_program_reads(data: bytes, field: str) -> str:
    """RFC 2047 decoding (whitespace between adjacent encoded words is not text), as mail programs do it."""
    folded = email.message_from_bytes(data)[field]
    return str(make_header(decode_header(re.sub(r"\r?\n(?=[ \t])", "", folded))))  # unfolded first


def head(data: bytes) -> list[bytes]:
    return data.partition(b"\r\n\r\n")[0].split(b"\r\n")


@pytest.mark.parametrize(
    "subject",
    [
        "I'm sorry about your experience with our team on Friday, November 13",  # one word short of the line
        "I'm sorry about the wait on Wednesday, September 30, at our Westview office",
        "Your visit on Monday, November 3: I read your feedback",
        "Lo siento por la espera en su visita del viernes 13 de noviembre, señora",  # non-ASCII
        "Ihr Besuch am Montag: Wir bedauern die lange Wartezeit in der Praxis Müller in Köln-Süd sehr",
    ],
)
def test_a_subject_reads_back_exactly_without_a_leading_space(subject):
    data = draft(subject=subject)
    assert parse(data)["Subject"] == subject
    assert as_mail_program_reads(data, "Subject") == subject
    lines = head(data)
    first = next(line for line in lines if line.startswith(b"Subject:"))
    assert first != b"Subject:" and first != b"Subject: "  # the text starts on the field's own line
    assert all(len(line) <= 78 for line in lines)


@pytest.mark.parametrize(
    "name",
    [
        "María Fernanda Hernández Gutiérrez de la Peña",  # the standard library made this "Pe ña"
        "José Luis Rodríguez Zapatero",
        "Nguyễn Thị Minh Khai",
        "Dr. Zoë O'Brien-Łukasiewicz",
        "Ana Pérez",
    ],
)
def test_an_accented_name_reads_back_exactly(name):
    data = draft(to_name=name, sender=eml.Party(name, "maria.lopez@riverside.example.org"))
    msg = parse(data)
    for field in ("To", "From", "Reply-To"):
        [address] = msg[field].addresses
        assert address.display_name == name, field
        assert as_mail_program_reads(data, field).startswith(name + " <"), field
    assert msg["To"].addresses[0].addr_spec == "patient@example.org"


def test_ascii_names_are_quoted_when_they_need_it():
    data = draft(to_name='Smith, Ana "Annie"', sender=eml.Party("Dr. Sam Reyes", "sam.reyes@riverside.example.org"))
    msg = parse(data)
    assert msg["From"].addresses[0].display_name == "Dr. Sam Reyes"
    assert b'From: "Dr. Sam Reyes" <sam.reyes@riverside.example.org>' in head(data)
    [to] = msg["To"].addresses
    assert to.display_name == 'Smith, Ana "Annie"' and to.addr_spec == "patient@example.org"


WORDS = st.sampled_from(
    ["Ana", "Pérez", "María", "de", "la", "Peña", "O'Brien", "Dr.", "Nguyễn", "Thị", "Łukasz", "李", "Zoë", "Smith,"]
)


@settings(max_examples=300, deadline=None)
@given(name=st.lists(WORDS, min_size=1, max_size=10), subject=st.lists(WORDS, min_size=1, max_size=16))
def test_any_name_and_subject_read_back_exactly(name, subject):
    name_text, subject_text = " ".join(name), " ".join(subject)
    data = draft(to_name=name_text, subject=subject_text)
    msg = parse(data)
    assert msg["To"].addresses[0].display_name == name_text and len(msg["To"].addresses) == 1
    assert msg["Subject"] == subject_text
    assert as_mail_program_reads(data, "Subject") == subject_text
    if not name_text.isascii():
        assert as_mail_program_reads(data, "To") == f"{name_text} <patient@example.org>"
