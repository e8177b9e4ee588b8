"""Tickets in a real SQLite store: exactly once, transitions, the SLA clock, the sweep, stats."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import func, select
from tests.storefill import fill

from npscli.config import TicketSettings
from npscli.core.errors import ConflictError, NotFoundError
from npscli.store import schema
from npscli.store.engine import open_store
from npscli.store.ticket_stats import _recovered_response_pks, ticket_stats
from npscli.store.tickets import (
    TicketFilter,
    apply_action,
    list_tickets,
    show_ticket,
    sweep,
)

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


def rows(n_det=3, n_pro=2, prefix="r"):
    out = []
    for i in range(n_det):
        out.append(
            {
                "response_id": f"{prefix}d{i}",
                "submitted_at": T0 + timedelta(hours=i),
                "score": i * 2,
                "location": "Downtown" if i % 2 == 0 else "Eastgate",
                "comment": f"comment {i}",
                "patient_id": f"P{i}",
                "email": f"p{i}@example.org",
            }
        )
    for i in range(n_pro):
        out.append(
            {
                "response_id": f"{prefix}p{i}",
                "submitted_at": T0 + timedelta(hours=10 + i),
                "score": 9 + i % 2,
                "location": "Downtown",
            }
        )
    return out


@pytest.fixture
def store(tmp_path):
    s = open_store(str(tmp_path / "t.db"))
    yield s
    s.dispose()


def count(store, table):
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_one_ticket_per_detractor_exactly_once_under_reimport(store):
    first = fill(store, rows())
    assert (first.imported, first.duplicates, first.tickets_opened) == (5, 0, 3)
    again = fill(store, rows())
    assert (again.imported, again.duplicates, again.tickets_opened) == (0, 5, 0)
    overlap = fill(store, rows() + rows(n_det=1, n_pro=0, prefix="new"))
    assert (overlap.imported, overlap.tickets_opened) == (1, 1)
    assert count(store, schema.tickets) == 4
    assert count(store, schema.responses) == 6
    E = schema.ticket_events
    with store.read() as conn:  # one "opened" event per ticket, written by the import that opened it
        opened = conn.execute(select(E.c.ticket_id).where(E.c.kind == "opened").order_by(E.c.id)).scalars().all()
        assert opened == conn.execute(select(schema.tickets.c.id).order_by(schema.tickets.c.id)).scalars().all()


def test_threshold_includes_passives_when_configured(store):
    data = rows(n_det=0, n_pro=0) + [{"response_id": "x", "submitted_at": T0, "score": 8}]
    assert fill(store, data, tickets=TicketSettings(threshold=8)).tickets_opened == 1


def test_priority_and_sla_per_location(store):
    fill(store, rows(), tickets=TicketSettings(sla_hours=48, sla_hours_by_location={"Eastgate": 24}))
    tickets = {t["response_id"]: t for t in list_tickets(store, TicketFilter())}
    assert tickets["rd0"]["priority"] == "high" and tickets["rd2"]["priority"] == "normal"
    assert tickets["rd0"]["due_at"] - tickets["rd0"]["submitted_at"] == timedelta(hours=48)
    assert tickets["rd1"]["due_at"] - tickets["rd1"]["submitted_at"] == timedelta(hours=24)


def test_full_life_cycle_and_history(store):
    fill(store, rows())
    now = T0 + timedelta(hours=5)
    t = apply_action(store, 1, "assign", actor="lead", now=now, assignee="Maria")
    assert (t["status"], t["assignee"]) == ("assigned", "Maria")
    t = apply_action(
        store,
        1,
        "contacted",
        actor="maria",
        now=now + timedelta(hours=1),
        channel="call",
        text="left details",
    )
    assert t["status"] == "contacted" and t["first_contact_at"] is not None
    t = apply_action(store, 1, "resolve", actor="maria", now=now + timedelta(hours=2), codes=["billing"], text="refund")
    assert (t["status"], t["root_causes"]) == ("resolved", "billing")
    with pytest.raises(ConflictError):
        apply_action(store, 1, "resolve", actor="maria", now=now, codes=["billing"])
    t = apply_action(store, 1, "reopen", actor="lead", now=now + timedelta(hours=3))
    assert t["status"] == "reopened" and t["closed_at"] is None
    _, events = show_ticket(store, 1)
    assert [e["kind"] for e in events] == ["opened", "assigned", "call", "resolved", "reopened"]
    assert [e["actor"] for e in events] == ["tester", "lead", "maria", "maria", "lead"]


def test_invalid_transition_changes_nothing(store):
    fill(store, rows())
    before = show_ticket(store, 2)
    with pytest.raises(ConflictError):
        apply_action(store, 2, "no_response", actor="x", now=T0)
    assert show_ticket(store, 2) == before


def test_unknown_ticket(store):
    fill(store, rows())
    with pytest.raises(NotFoundError):
        apply_action(store, 999, "assign", actor="x", now=T0, assignee="y")


def test_overdue_follows_the_sla_clock(store):
    fill(store, rows())
    due = list_tickets(store, TicketFilter(ids=(1,)))[0]["due_at"].replace(tzinfo=UTC)
    assert not list_tickets(store, TicketFilter(overdue_at=due - timedelta(seconds=1), ids=(1,)))
    assert list_tickets(store, TicketFilter(overdue_at=due + timedelta(seconds=1), ids=(1,)))
    apply_action(store, 1, "contacted", actor="x", now=due - timedelta(hours=1), channel="email")
    assert not list_tickets(store, TicketFilter(overdue_at=due + timedelta(hours=1), ids=(1,)))


def test_sweep_closes_only_unanswered_contacts_older_than_n_days(store):
    fill(store, rows())
    apply_action(store, 1, "contacted", actor="x", now=T0, channel="call")
    apply_action(store, 2, "contacted", actor="x", now=T0, channel="email")
    apply_action(store, 2, "note", actor="x", now=T0 + timedelta(days=1), text="patient wrote back", reply=True)
    apply_action(store, 3, "contacted", actor="x", now=T0 + timedelta(days=5), channel="call")
    closed = sweep(store, days=7, actor="cron", now=T0 + timedelta(days=7, minutes=1))
    assert closed == [1]
    assert show_ticket(store, 1)[0]["status"] == "no_response"
    assert show_ticket(store, 2)[0]["status"] == "contacted"
    assert show_ticket(store, 3)[0]["status"] == "contacted"
    assert sweep(store, days=7, actor="cron", now=T0 + timedelta(days=7, minutes=2)) == []


def test_stats_recovery_and_sla_share(store):
    fill(store, rows())
    # patient P0 (ticket 1, score 0) comes back as a promoter later
    fill(
        store,
        [{"response_id": "later", "submitted_at": T0 + timedelta(days=20), "score": 10, "patient_id": "P0"}],
    )
    apply_action(store, 1, "contacted", actor="x", now=T0 + timedelta(hours=2), channel="call")
    apply_action(store, 2, "contacted", actor="x", now=T0 + timedelta(hours=100), channel="call")
    apply_action(store, 1, "resolve", actor="x", now=T0 + timedelta(hours=3), codes=["billing"])
    [overall] = ticket_stats(store, by=None, since=None, until=None, now=T0 + timedelta(days=30), threshold=6)
    assert overall["opened"] == 3 and overall["closed"] == 1
    assert overall["recovered"] == 1
    assert overall["contacted_within_sla"] == pytest.approx(100 / 3, abs=0.1)
    assert overall["median_hours_to_contact"] == pytest.approx((2 + 99) / 2, abs=0.1)
    assert overall["overdue_open"] == 1
    assert overall["root_causes"] == "billing 1"
    by_loc = {r["location"]: r for r in ticket_stats(store, by="location", since=None, until=None, now=T0, threshold=6)}
    assert by_loc["Downtown"]["opened"] == 2 and by_loc["Eastgate"]["opened"] == 1


def test_sla_share_counts_only_tickets_whose_deadline_passed_or_that_were_contacted(store):
    fill(store, rows())  # three tickets received at T0, T0+1h, T0+2h; 48 h to contact each
    apply_action(store, 1, "contacted", actor="x", now=T0 + timedelta(hours=3), channel="call")
    [early] = ticket_stats(store, by=None, since=None, until=None, now=T0 + timedelta(hours=10), threshold=6)
    assert early["contacted_within_sla"] == 100.0  # the two not yet called still have time
    assert (early["sla_met"], early["sla_decided"]) == (1, 1)  # 100% of one ticket, and the report says so
    [later] = ticket_stats(store, by=None, since=None, until=None, now=T0 + timedelta(hours=49), threshold=6)
    assert later["contacted_within_sla"] == 50.0  # ticket 2 missed its deadline; ticket 3 still has an hour
    assert (later["sla_met"], later["sla_decided"]) == (1, 2)
    apply_action(store, 3, "contacted", actor="x", now=T0 + timedelta(hours=60), channel="email")
    [last] = ticket_stats(store, by=None, since=None, until=None, now=T0 + timedelta(hours=61), threshold=6)
    assert last["contacted_within_sla"] == pytest.approx(100 / 3, abs=0.1)  # contacted, but late
    fill(store, [{"response_id": "fresh", "submitted_at": T0 + timedelta(hours=61), "score": 1}])
    [fresh] = ticket_stats(
        store, by=None, since=T0 + timedelta(hours=61), until=None, now=T0 + timedelta(hours=62), threshold=6
    )
    assert fresh["opened"] == 1 and fresh["contacted_within_sla"] is None  # nothing decided yet
    assert (fresh["sla_met"], fresh["sla_decided"]) == (0, 0)


def test_recovery_looks_at_the_patients_next_response_only(store):
    """Recovered: the same patient's *next* response is 7+. A detractor answered by another detractor is not
    recovered, even when a promoter comes later; the second detractor is."""
    fill(store, rows())
    fill(
        store,
        [
            {"response_id": "again", "submitted_at": T0 + timedelta(days=5), "score": 3, "patient_id": "P0"},
            {"response_id": "happy", "submitted_at": T0 + timedelta(days=20), "score": 10, "patient_id": "P0"},
            # no patient id: the same patient by e-mail (any case), next response a passive
            {"response_id": "e1", "submitted_at": T0 + timedelta(days=1), "score": 1, "email": "Kim@example.org"},
            {"response_id": "e2", "submitted_at": T0 + timedelta(days=9), "score": 8, "email": "kim@EXAMPLE.org"},
        ],
    )
    by_response = {r["response_id"]: r["response_pk"] for r in list_tickets(store, TicketFilter())}
    [overall] = ticket_stats(store, by=None, since=None, until=None, now=T0 + timedelta(days=30), threshold=6)
    assert overall["recovered"] == 2
    recovered = _recovered_response_pks(store, list_tickets(store, TicketFilter()), 6)
    assert recovered == {by_response["again"], by_response["e1"]}


@pytest.mark.parametrize(
    ("backend", "sla_hours"),
    [
        ("sqlite", 48),
        ("sqlite", 0.1),  # 0.1 h: not whole seconds
        pytest.param("postgres", 48, marks=pytest.mark.postgres),
        pytest.param("postgres", 0.1, marks=pytest.mark.postgres),
    ],
)
def test_bulk_ticket_path_matches_the_row_path(request, tmp_path, backend, sla_hours, monkeypatch):
    """Each backend opens tickets with one INSERT ... SELECT; it must give exactly what the portable
    row-by-row path gives (due times to the microsecond, priorities, suggested causes, the events)."""
    data = rows(n_det=6, n_pro=2)
    data[0]["submitted_at"] = T0 + timedelta(seconds=59, microseconds=999_999)  # the fraction is carried over
    data[1]["comment"] = data[3]["comment"] = "The wait was two hours."  # one suggestion per distinct text
    data[5]["comment"] = "A long wait. " + "x" * 5000  # too long for a B-tree key on PostgreSQL
    settings = TicketSettings(sla_hours=sla_hours, sla_hours_by_location={"Eastgate": 36}, high_priority_max=2)
    results = []
    for name, force_rows in (("bulk", False), ("rows", True)):
        if backend == "sqlite":
            url = str(tmp_path / f"{name}.db")
        else:
            url = request.getfixturevalue("postgres_server").create_database(f"bulk_{name}_{uuid4().hex}")
        s = open_store(url)
        with monkeypatch.context() as patch:
            if force_rows:
                patch.setattr(s.engine.dialect, "name", "portable")  # neither backend's own path
            fill(
                s,
                data,
                tickets=settings,
                suggest_cause=lambda text: "wait_time" if "wait" in text else None,
                match_themes=lambda text: ["wait_time", "staff"][: 1 + len(text) % 2] if "wait" in text else [],
                themes_key="k",
            )
        with s.read() as conn:
            ticket_cols = [c for c in schema.tickets.c if c.name not in ("opened_at", "updated_at")]  # the clock
            event_cols = [c for c in schema.ticket_events.c if c.name != "at"]
            results.append(
                (
                    conn.execute(select(*ticket_cols).order_by(schema.tickets.c.id)).all(),
                    conn.execute(select(*event_cols).order_by(schema.ticket_events.c.id)).all(),
                )
            )
        s.dispose()
    assert results[0] == results[1]
    tickets = results[0][0]
    themes = {t.themes for t in tickets}
    assert "" in themes and {"wait_time", "wait_time,staff"} & themes  # the comments' themes, kept on both paths
    assert len(tickets) == 4 and {t.suggested_cause for t in tickets} == {"wait_time", None}


def test_a_first_import_opens_the_tickets_a_later_import_opens_with_their_causes_and_themes(tmp_path):
    """Into an empty SQLite store the importer gathers the detractors' comments as the rows go in (the batch is
    not read back for them); into a store that already holds a response they are read from the batch. Both
    must give the same tickets, causes and themes, with ``tickets_since`` leaving the older detractors out (a
    comment only they have gets no suggestion looked up, one a newer detractor shares does)."""
    from tests.storefill import FakeParsed, records

    from npscli.store.responses import import_parsed

    data = rows(n_det=6, n_pro=2)
    data[0]["comment"] = "The wait was two hours, and nobody said why."  # before tickets_since: no ticket
    data[1]["comment"] = data[3]["comment"] = "The wait was two hours."  # one old, one new detractor
    data[2]["comment"] = None
    looked_up: dict[str, list[str]] = {}
    results = []
    for name, earlier in (("first", None), ("later", rows(n_det=1, n_pro=0, prefix="old"))):
        store = open_store(str(tmp_path / f"{name}.db"))
        seen = looked_up.setdefault(name, [])

        def suggest(text, seen=seen):
            seen.append(text)
            return "wait_time" if "wait" in text else None

        def themes(text):
            return ["wait"] if "wait" in text else []

        if earlier is not None:
            import_parsed(store, FakeParsed(records(earlier)), source="old", actor="t", tickets=TicketSettings())
        import_parsed(
            store,
            FakeParsed(records(data)),
            source="test",
            actor="t",
            tickets=TicketSettings(),
            suggest_cause=suggest,
            match_themes=themes,
            themes_key="k",
            tickets_since=T0 + timedelta(hours=1, minutes=30),
        )
        with store.read() as conn:
            results.append(
                conn.execute(
                    select(schema.responses.c.response_id, schema.tickets.c.suggested_cause, schema.tickets.c.themes)
                    .join(schema.responses, schema.responses.c.id == schema.tickets.c.response_pk)
                    .where(schema.responses.c.source == "test")
                    .order_by(schema.tickets.c.id)
                ).all()
            )
        store.dispose()
    assert results[0] == results[1]
    # the detractors scored 0, 2 (both received too early), 4 and 6
    assert results[0] == [("rd2", None, None), ("rd3", "wait_time", "wait")]
    assert sorted(looked_up["first"]) == sorted(looked_up["later"])
    assert "The wait was two hours, and nobody said why." not in looked_up["first"]
