"""The ticket life cycle rules, without a store."""

from datetime import datetime, timedelta

import pytest

from npscli.core import tickets as rules
from npscli.core.errors import ConflictError, UsageError

ALLOWED = {
    # (action, from) -> to
    ("assign", "new"): "assigned",
    ("assign", "reopened"): "assigned",
    ("assign", "assigned"): "assigned",
    ("assign", "contacted"): "contacted",
    ("assign", "escalated"): "escalated",
    ("contacted", "new"): "contacted",
    ("contacted", "assigned"): "contacted",
    ("contacted", "contacted"): "contacted",
    ("contacted", "escalated"): "contacted",
    ("contacted", "reopened"): "contacted",
    ("resolve", "new"): "resolved",
    ("resolve", "assigned"): "resolved",
    ("resolve", "contacted"): "resolved",
    ("resolve", "escalated"): "resolved",
    ("resolve", "reopened"): "resolved",
    ("no_response", "contacted"): "no_response",
    ("escalate", "new"): "escalated",
    ("escalate", "assigned"): "escalated",
    ("escalate", "contacted"): "escalated",
    ("escalate", "reopened"): "escalated",
    ("escalate", "escalated"): "escalated",  # onward: the director hands it to a specialist
    ("reopen", "resolved"): "reopened",
    ("reopen", "no_response"): "reopened",
}


@pytest.mark.parametrize("action", [a for a in rules.ACTIONS if a != "note"])
@pytest.mark.parametrize("status", rules.STATUSES)
def test_every_transition_is_allowed_or_refused_as_documented(action, status):
    expected = ALLOWED.get((action, status))
    if expected is None:
        with pytest.raises(ConflictError) as err:
            rules.next_status(action, status, "T-000001")
        assert "T-000001" in str(err.value) and status in str(err.value)
    else:
        assert rules.next_status(action, status, "T-000001") == expected


@pytest.mark.parametrize("status", rules.STATUSES)
def test_notes_never_change_status(status):
    assert rules.next_status("note", status, "T-000001") == status


def test_closed_ticket_error_hints_reopen():
    with pytest.raises(ConflictError) as err:
        rules.next_status("resolve", "resolved", "T-000007")
    assert "reopen" in err.value.hint


@pytest.mark.parametrize("text,number", [("T-000123", 123), ("t-123", 123), ("123", 123), (" T000042 ", 42)])
def test_ticket_ids_parse(text, number):
    assert rules.parse_ticket_id(text) == number
    assert rules.format_ticket_id(number) == f"T-{number:06d}"


@pytest.mark.parametrize("text", ["", "T-", "X-12", "T-0", "12a", "T-1234567890"])
def test_bad_ticket_ids_are_usage_errors(text):
    with pytest.raises(UsageError):
        rules.parse_ticket_id(text)


def test_priority_and_due():
    assert rules.priority_for(0) == rules.priority_for(3) == "high"
    assert rules.priority_for(4) == rules.priority_for(6) == "normal"
    received = datetime(2025, 11, 3, 9, 0)
    assert rules.due_at(received, 48) == received + timedelta(hours=48)


def test_overdue_only_when_open_uncontacted_and_past_due():
    due = datetime(2025, 11, 5, 9, 0)
    after = due + timedelta(minutes=1)
    assert rules.is_overdue("new", due, None, after)
    assert not rules.is_overdue("new", due, None, due)
    assert not rules.is_overdue("assigned", due, due - timedelta(hours=1), after)
    assert not rules.is_overdue("resolved", due, None, after)


def test_root_cause_codes_validated_and_deduplicated():
    allowed = ("billing", "wait_time", "other")
    assert rules.validate_root_causes(["billing,wait-time", "billing"], allowed) == ["billing", "wait_time"]
    with pytest.raises(UsageError) as err:
        rules.validate_root_causes(["parking"], allowed)
    assert "billing" in err.value.hint
