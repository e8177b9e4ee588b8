"""Synthetic survey exports for tests (invented people; example.org addresses; 555-01xx phones)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

PLAIN_HEADER = [
    "Response ID",
    "Created at",
    "Score",
    "Comment",
    "Location",
    "Department",
    "Provider",
    "Patient Name",
    "Email",
    "Phone",
    "Patient ID",
]


def response(
    rid: str,
    when: str,
    score: int | str,
    comment: str = "",
    location: str = "Downtown",
    department: str = "Primary Care",
    provider: str = "Dr. Amara Okafor",
    name: str = "Ana Pérez",
    email: str | None = None,
    phone: str = "555-0142",
    patient_id: str | None = None,
) -> dict[str, str]:
    return {
        "Response ID": rid,
        "Created at": when,
        "Score": str(score),
        "Comment": comment,
        "Location": location,
        "Department": department,
        "Provider": provider,
        "Patient Name": name,
        "Email": email if email is not None else f"patient{rid}@example.org",
        "Phone": phone,
        "Patient ID": patient_id if patient_id is not None else f"P{rid}",
    }


def write_plain(path: Path, rows: Iterable[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=PLAIN_HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path
