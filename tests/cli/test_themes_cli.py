"""`npscli themes` on the sample exports: the planted Eastgate billing spike is found, and only then."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture
def sample(cli):
    files = sorted(SAMPLE.glob("*.csv")) + sorted(SAMPLE.glob("*.xlsx"))
    result = cli("import", *files)
    assert result.exit_code == 0, result.output
    return cli


def js(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_emerging_finds_the_planted_spike_and_nothing_else(sample):
    found = js(sample("themes", "--emerging", "--as-of", "2026-11-16", "--format", "json"))
    assert [(r["location"], r["theme"]) for r in found] == [("Eastgate", "billing")]
    assert found[0]["count"] == 7 and "Eastgate" in found[0]["summary"]
    for week_before in ("2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09"):
        assert js(sample("themes", "--emerging", "--as-of", week_before, "--format", "json")) == []


def test_theme_table_with_redacted_examples(sample):
    rows = js(sample("themes", "--since", "16w", "--as-of", "2026-11-16", "--examples", "3", "--format", "json"))
    themes = {r["theme"] for r in rows}
    assert {"billing", "wait_time", "parking"} <= themes
    billing = next(r for r in rows if r["theme"] == "billing")
    assert billing["impact"] < 0 and 0 < billing["share_of_detractors"] <= 100
    examples = " ".join(e for r in rows for e in r["examples"])
    assert "555-01" not in examples and "@example" not in examples  # contact details masked


def test_by_location_and_detractors_only(sample):
    rows = js(sample("themes", "--by", "location", "--detractors-only", "--as-of", "2026-11-16", "--format", "json"))
    assert {r["location"] for r in rows} <= {"Downtown", "Eastgate", "Northside", "Westview"}
    assert all(r["mentions"] == r["detractor_mentions"] for r in rows)
    result = sample("themes", "--by", "provider")
    assert result.exit_code == 2 and "location" in result.stderr


def test_tickets_get_a_suggested_root_cause(sample):
    rows = js(
        sample(
            "tickets",
            "list",
            "--location",
            "Eastgate",
            "--since",
            "2026-11-09",
            "--as-of",
            "2026-11-16",
            "--format",
            "json",
        )
    )
    billing = [r for r in rows if r["comment"] and "charged twice" in r["comment"].lower()]
    assert billing and all(r["suggested_cause"] == "billing" for r in billing)


def test_the_table_shows_the_redaction_placeholders(sample):
    # "Charged twice for my copay. Call me at 773-555-0163 ..." (Eastgate, 2026-11-13): the table must show
    # where the phone number was, not swallow "[phone]" as console markup
    table = sample("themes", "--since", "2026-11-13", "--until", "2026-11-13", "--as-of", "2026-11-16")
    assert table.exit_code == 0, table.output
    assert "Call me at [phone]" in " ".join(table.stdout.replace("|", " ").split())
    assert "773-555-0163" not in table.stdout


def test_emerging_honours_the_location_filter_and_refuses_a_since(sample):
    def emerging(*args):
        return js(sample("themes", "--emerging", "--as-of", "2026-11-16", "--format", "json", *args))

    assert [(r["location"], r["theme"]) for r in emerging("--location", "Eastgate")] == [("Eastgate", "billing")]
    assert emerging("--location", "Downtown", "--location", "Westview") == []
    refused = sample("themes", "--emerging", "--since", "4w", "--as-of", "2026-11-16")
    assert refused.exit_code == 2, refused.output
    assert "--window" in refused.stderr and "Traceback" not in refused.output
