"""Redaction of identifiers in patient comments: every kind claimed, and the numbers that must stay."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from npscli.core.redact import redact


def test_none_and_empty():
    assert redact(None) is None
    assert redact("") == ""
    assert redact("Great visit, thanks!") == "Great visit, thanks!"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write to jane.doe+nps@example.co.uk please", "Write to [email] please"),
        ("mail: JOSE_N@clinic-mail.org.", "mail: [email]."),
    ],
)
def test_email(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "phone",
    [
        "(555) 123-4567",
        "555-123-4567",
        "555.123.4567",
        "555 123 4567",
        "+1 555 123 4567",
        "+1 (555) 123-4567",
        "1-800-555-1234",
        "+44 20 7946 0958",
        "+34 612 345 678",
        "612 345 678",
        "91 123 45 67",
        "555-1234",
    ],
)
def test_phone_numbers(phone):
    assert redact(f"Call me at {phone}, thanks.") == "Call me at [phone], thanks."
    assert redact(f"{phone}") == "[phone]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DOB: 01/02/1980", "DOB: [dob]"),
        ("dob 1980-01-02 is on file", "dob [dob] is on file"),
        ("D.O.B. 3/4/75", "D.O.B. [dob]"),
        ("date of birth 12.11.1964", "date of birth [dob]"),
        ("I was born 3 March 1975.", "I was born [dob]."),
        ("born on March 3, 1975", "born on [dob]"),
        ("born on the 3rd of March 1975", "born on the [dob]"),
        ("born in 1975, so not young", "born in [dob], so not young"),
        ("My birthday is March 3", "My birthday is [dob]"),
        ("Fecha de nacimiento 03/03/1975", "Fecha de nacimiento [dob]"),
        ("fecha de nacimiento: 3 de marzo de 1975", "fecha de nacimiento: [dob]"),
        ("nací el 3 de marzo de 1975", "nací el [dob]"),
        ("Nacida en 1950", "Nacida en [dob]"),
        ("DOB Oct. 3, 1975", "DOB [dob]"),  # an abbreviated month keeps its dot
        ("born Sept 3 1975", "born [dob]"),
    ],
)
def test_dates_of_birth(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MRN 1234567", "MRN [id]"),
        ("my MRN: A1234567 was wrong", "my MRN: [id] was wrong"),
        ("record #88231234", "record #[id]"),
        ("Account no. 4471", "Account no. [id]"),
        ("claim number 2023-55817", "claim number [id]"),
        ("expediente 44556", "expediente [id]"),
        ("historia clínica nº 99812", "historia clínica nº [id]"),
        ("ref 9981234 on the letter", "ref [id] on the letter"),  # any 6+ digit run
        ("card 4111111111111111", "card [id]"),
    ],
)
def test_record_numbers(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Waited 45 minutes in room 12.",
        "Paid $150 for 2 hours of waiting.",
        "Best visit of 2025, seen at 10:30.",
        "My appointment on 03/04/2025 was moved to 2025-04-10.",  # visit dates are not birth dates
        "They billed $1,250.00 and then $150000 more?!",
        "3 or 4 times, between 9 and 5, on floor 2, suite 300",
        "Rated 9/10, 100% recommend",
        "Cost went from 80 to 120 dollars, 50% more",
        "Waited from 2019-2025 for a fix lol",
        # A full month name's dot ends the sentence (a real NHS comment: "my baby was born in October. 2 home
        # visits ..."): no birth date there, and the count of visits stays.
        "No support since my baby was born in October. 2 home visits and nothing since.",
    ],
)
def test_ordinary_numbers_are_kept(text):
    assert redact(text) == text


def test_patient_name_parts_accent_and_case_insensitive():
    text = "Hi, jose here. Dr. Lee called me Mr NUNEZ and Núñez. Josefina is my sister."
    assert redact(text, names=["José Núñez"]) == (
        "Hi, [name] here. Dr. Lee called me Mr [name] and [name]. Josefina is my sister."
    )


def test_name_particles_and_short_parts_are_not_masked():
    text = "María de la Cruz y J. R. told la recepción about it"
    assert redact(text, names=["María de la Cruz", "J. R."]) == "[name] de la [name] y J. R. told la recepción about it"


def test_several_names_and_hyphens():
    assert (
        redact("Ana-Lucía and Smith-Jones came", names=["Ana-Lucía Smith-Jones"])
        == "[name]-[name] and [name]-[name] came"
    )
    assert redact("no names given", names=[]) == "no names given"
    assert redact("no names given", names=["", None]) == "no names given"  # type: ignore[list-item]


def test_name_masking_keeps_the_rest_of_the_text_intact():
    # folding "ß" to "ss" changes lengths: the mapping back to the original must still be exact
    assert redact("Straße: Weiß wartete lange.", names=["Weiß"]) == "Straße: [name] wartete lange."


def test_names_never_touch_placeholders():
    text = "Email me: a@b.org or call 555-123-4567"
    assert redact(text, names=["Email Phone"]) == "[name] me: [email] or call [phone]"
    assert redact(redact(text, names=["Name"]), names=["Name"]) == redact(text, names=["Name"])


def test_everything_at_once():
    text = (
        "José Núñez, DOB 01/02/1980, MRN 1234567. Call (555) 123-4567 or jose.nunez@example.com. "
        "Waited 45 minutes in room 12 and paid $150."
    )
    assert redact(text, names=["José Núñez"]) == (
        "[name] [name], DOB [dob], MRN [id]. Call [phone] or [email]. Waited 45 minutes in room 12 and paid $150."
    )


@given(st.text(max_size=200), st.lists(st.text(max_size=20), max_size=3))
def test_redact_never_fails_and_is_stable(text, names):
    once = redact(text, names=names)
    assert isinstance(once, str)
    assert redact(once, names=names) == once
