"""Routing rules and alert settings (pure: no store, no server)."""

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from npscli.core.errors import ConfigError
from npscli.core.routing import parse_alert_settings, parse_recipient, route

MARIA = "maria.lopez@riverside.example.org"
QUALITY = "quality@riverside.example.org"
PX = "px@riverside.example.org"
JORDAN = "jordan.kim@riverside.example.org"

ALERTS = {"from": f"Patient Experience <{PX}>", "default_recipients": [PX], "escalate_overdue_to": [QUALITY]}
# the README's example: "also" the quality lead for scores 0-3, then the owner of each location
RULES = {
    "rules": [
        {"max_score": 3, "to": [f"Quality Lead <{QUALITY}>"], "continue": True},
        {"location": "Downtown", "to": [MARIA]},
        {"location": ["Eastgate", "Northside"], "department": "Pediatrics", "to": [JORDAN]},
    ]
}


def to(settings, score, location=None, department=None, provider=None):
    return [
        r.recipient.address
        for r in route(settings, score=score, location=location, department=department, provider=provider)
    ]


@pytest.fixture
def cfg():
    return parse_alert_settings(ALERTS, RULES, where="npscli.toml")


def test_location_rule_and_the_quality_lead_also(cfg):
    assert to(cfg, 2, "Downtown") == [QUALITY, MARIA]
    assert to(cfg, 5, "Downtown") == [MARIA]


def test_default_recipients_when_no_rule_ends_the_search(cfg):
    assert to(cfg, 5, "Westside") == [PX]  # nothing matched
    assert to(cfg, 1, "Westside") == [QUALITY, PX]  # only a `continue` rule matched


def test_all_conditions_of_a_rule_must_hold(cfg):
    assert to(cfg, 4, "Eastgate", "Pediatrics") == [JORDAN]
    assert to(cfg, 4, "Northside", "Pediatrics") == [JORDAN]
    assert to(cfg, 4, "Eastgate", "Cardiology") == [PX]
    assert to(cfg, 4, None, "Pediatrics") == [PX]  # a missing location never matches a location rule


def test_names_match_ignoring_case_and_spacing(cfg):
    assert to(cfg, 5, "  downTOWN ") == [MARIA]
    assert to(cfg, 5, "eastgate", "pediatrics") == [JORDAN]


def test_a_curly_apostrophe_in_an_export_matches_the_straight_one_typed_in_the_rules():
    # Excel and Word turn O'Hare into O’Hare; the two look the same in a table and are the same place
    rules = {"rules": [{"location": "O'Hare Clinic", "to": [MARIA]}]}
    settings = parse_alert_settings(ALERTS, rules, where="npscli.toml")
    assert to(settings, 5, "O’Hare Clinic") == [MARIA]
    assert to(settings, 5, "O‘Hare clinic") == [MARIA]
    assert to(settings, 5, "OHare Clinic") == [PX]


def test_first_matching_rule_wins_without_continue():
    cfg = parse_alert_settings(
        {"default_recipients": [PX]},
        {"rules": [{"location": "Downtown", "to": [MARIA]}, {"max_score": 3, "to": [QUALITY]}]},
    )
    assert to(cfg, 2, "Downtown") == [MARIA]  # the quality rule comes after and is never reached
    assert to(cfg, 2, "Eastgate") == [QUALITY]
    assert to(cfg, 5, "Eastgate") == [PX]


def test_score_ranges_and_provider():
    cfg = parse_alert_settings(
        {},
        {
            "rules": [
                {"min_score": 4, "max_score": 6, "provider": "Dr. Amara Okafor", "to": [MARIA], "continue": True},
                {"min_score": 0, "max_score": 0, "to": [QUALITY]},
            ]
        },
    )
    assert to(cfg, 4, provider="Dr. Amara Okafor") == [MARIA]
    assert to(cfg, 6, provider="dr. amara okafor") == [MARIA]
    assert to(cfg, 3, provider="Dr. Amara Okafor") == []  # no defaults configured
    assert to(cfg, 0) == [QUALITY]


def test_a_recipient_reached_twice_is_alerted_once_with_the_first_reason():
    cfg = parse_alert_settings(
        {"default_recipients": [MARIA]},
        {"rules": [{"max_score": 3, "to": [MARIA.upper()], "continue": True, "name": "very unhappy"}]},
    )
    routes = route(cfg, score=1, location=None, department=None, provider=None)
    assert [(r.recipient.address, r.reason) for r in routes] == [(MARIA, "very unhappy")]


def test_reasons_name_the_rule(cfg):
    reasons = {
        r.recipient.address: r.reason for r in route(cfg, score=2, location="Downtown", department=None, provider=None)
    }
    assert reasons == {QUALITY: "routing rule 1 (score 0-3)", MARIA: "routing rule 2 (location Downtown)"}
    assert route(cfg, score=5, location="X", department=None, provider=None)[0].reason == "alerts.default_recipients"


def test_a_rule_without_conditions_matches_everything():
    cfg = parse_alert_settings({"default_recipients": [PX]}, {"rules": [{"to": MARIA}]})
    assert to(cfg, 6, "Anywhere") == [MARIA]


@given(
    score=st.integers(0, 10),
    location=st.sampled_from([None, "Downtown", "Eastgate", "Westside", ""]),
    department=st.sampled_from([None, "Pediatrics", "Cardiology"]),
)
def test_every_alert_reaches_someone_and_nobody_twice(score, location, department):
    cfg = parse_alert_settings(ALERTS, RULES)
    got = to(cfg, score, location, department)
    assert got, "with default recipients nobody is left unalerted"
    assert len(got) == len(set(got))
    assert (QUALITY in got) == (score <= 3)


def test_display_names_are_kept_for_the_to_header(cfg):
    assert cfg.display_for(QUALITY) == f"Quality Lead <{QUALITY}>"
    assert cfg.sender.address == PX and cfg.sender.display.startswith("Patient Experience")
    assert {r.address for r in cfg.email_recipients} == {PX, QUALITY, MARIA, JORDAN}


def test_defaults():
    cfg = parse_alert_settings(None, None)
    assert cfg.max_score == 6 and cfg.max_age_hours == 72 and cfg.start is None
    assert cfg.include_contact is False and cfg.redact_comments is True and cfg.digest is False
    assert cfg.rules == () and cfg.webhook_url is None


def test_start_accepts_toml_dates_and_strings():
    assert parse_alert_settings({"start": date(2025, 11, 1)}, {}).start == date(2025, 11, 1)
    assert parse_alert_settings({"start": "2025-11-01"}, {}).start == date(2025, 11, 1)
    moment = parse_alert_settings({"start": "2025-11-01T08:00"}, {}).start_moment("America/Chicago")
    assert moment.isoformat() == "2025-11-01T08:00:00-05:00"
    midnight = parse_alert_settings({"start": date(2025, 11, 1)}, {}).start_moment("America/Chicago")
    assert midnight == datetime.fromisoformat("2025-11-01T00:00:00-05:00")


@pytest.mark.parametrize(
    ("alerts", "routing", "named"),
    [
        ({"form": PX}, {}, "[alerts] form"),
        ({"from": "not an address"}, {}, "[alerts] from"),
        ({"default_recipients": ["px@"]}, {}, "[alerts] default_recipients"),
        ({"default_recipients": 3}, {}, "[alerts] default_recipients"),
        ({"escalate_overdue_to": [PX, "nope"]}, {}, "[alerts] escalate_overdue_to[1]"),
        ({"include_contact": "yes"}, {}, "[alerts] include_contact"),
        ({"max_score": 11}, {}, "[alerts] max_score"),
        ({"max_age_hours": -1}, {}, "[alerts] max_age_hours"),
        ({"start": "last tuesday"}, {}, "[alerts] start"),
        ({"webhook_url": "ftp://chat.example.org/x"}, {}, "[alerts] webhook_url"),
        ({"webhook_timeout": 0}, {}, "[alerts] webhook_timeout"),
        ({}, {"rule": []}, "[routing] rule"),
        ({}, {"rules": {"to": MARIA}}, "[routing] rules"),
        (
            {},
            {"rules": [{"to": [MARIA]}, {"lcation": "Downtown", "to": [MARIA]}]},
            "[[routing.rules]] (rule 2) lcation: unknown setting",
        ),
        ({}, {"rules": [{"location": "Downtown"}]}, "[[routing.rules]] (rule 1) to: is missing"),
        ({}, {"rules": [{"to": []}]}, "[[routing.rules]] (rule 1) to"),
        ({}, {"rules": [{"to": [MARIA], "max_score": "3"}]}, "[[routing.rules]] (rule 1) max_score"),
        ({}, {"rules": [{"to": [MARIA], "min_score": 5, "max_score": 3}]}, "[[routing.rules]] (rule 1) min_score"),
        ({}, {"rules": [{"to": [MARIA], "continue": "yes"}]}, "[[routing.rules]] (rule 1) continue"),
        ({}, {"rules": [{"to": [MARIA], "location": []}]}, "[[routing.rules]] (rule 1) location"),
    ],
)
def test_config_errors_name_the_file_and_key(alerts, routing, named):
    with pytest.raises(ConfigError) as err:
        parse_alert_settings(alerts, routing, where="npscli.toml")
    assert str(err.value).startswith("npscli.toml: ")
    assert named in str(err.value)


def test_addresses():
    assert parse_recipient("Maria Lopez <Maria.Lopez@Riverside.example.org>", "k").address == MARIA
    for bad in ("maria", "maria@localhost", "a b@example.org", "x@example.org\nBcc: y@example.org", ""):
        with pytest.raises(ConfigError):
            parse_recipient(bad, "k")
