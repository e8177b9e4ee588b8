"""Put synthetic responses into a real store through the real import path (no export file needed).

``fill(store, rows)`` builds the same records frame the export reader produces and hands it to
``npscli.store.responses.import_parsed``, so tickets open exactly as they do for `npscli import`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from npscli.config import TicketSettings
from npscli.store.engine import Store
from npscli.store.responses import ImportResult, import_parsed

FIELDS = ("comment", "location", "department", "provider", "patient_name", "email", "phone", "patient_id")


@dataclass
class FakeParsed:
    """The shape of io.exports.ParsedExport that import_parsed reads."""

    records: pd.DataFrame
    path: Path = Path("synthetic.csv")
    sha256: str = "0" * 64
    layout: str = "plain"
    issues: list = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.records) + len(self.issues)

    @property
    def estimated_rows(self) -> int:
        return self.rows_read

    def chunks(self):
        yield self.records


def records(rows: list[dict], tz: str = "America/Chicago") -> pd.DataFrame:
    """rows: dicts with response_id, submitted_at (aware datetime or ISO with offset), score, and any FIELDS."""
    out = []
    zone = ZoneInfo(tz)
    for i, r in enumerate(rows):
        when = r["submitted_at"]
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        if when.tzinfo is None:
            when = when.replace(tzinfo=zone)
        rid = r.get("response_id")
        key = f"id:{rid}" if rid else "fp:" + hashlib.sha256(repr(sorted(r.items())).encode()).hexdigest()[:24]
        out.append(
            {
                "row": i + 2,
                "response_id": rid,
                "response_key": key,
                "submitted_at": when.astimezone(UTC).replace(tzinfo=None),
                "local_date": when.astimezone(zone).date().isoformat(),
                "score": int(r["score"]),
                **{f: r.get(f) for f in FIELDS},
            }
        )
    frame = pd.DataFrame(out)
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
    return frame


def fill(
    store: Store,
    rows: list[dict],
    *,
    source: str = "test",
    tickets: TicketSettings | None = None,
    actor: str = "tester",
    tz: str = "America/Chicago",
    suggest_cause=None,
    match_themes=None,
    themes_key: str | None = None,
) -> ImportResult:
    return import_parsed(
        store,
        FakeParsed(records(rows, tz)),
        source=source,
        actor=actor,
        tickets=tickets or TicketSettings(),
        suggest_cause=suggest_cause,
        match_themes=match_themes,
        themes_key=themes_key,
    )
