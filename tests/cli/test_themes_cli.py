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


def test_emerging_finds_the_planted_spike_within_days_and_not_before(sample):
    found = js(sample("themes", "--emerging", "--as-of", "2026-11-16", "--format", "json"))
    billing = [r for r in found if (r["location"], r["theme"]) == ("Eastgate", "billing")]
    assert len(billing) == 1
    # The planted week starts Monday 2026-11-09 (sample_data/README.md): flagged that week, not before it.
    assert "2026-11-09" <= billing[0]["first_flagged"] <= "2026-11-15"
    assert billing[0]["count"] >= 7 and billing[0]["count"] > 3 * billing[0]["expected"]
    assert billing[0]["summary"].startswith("Billing and insurance at Eastgate: ")
    assert billing[0]["summary"].endswith(f"first flagged {billing[0]['first_flagged']}")
    # Downtown's front-desk complaints rose with its second survey (Delighted, from week 12) more than its
    # volume did (sample_data/README.md); every other (theme, location) is quiet.
    assert {(r["location"], r["theme"]) for r in found} <= {("Eastgate", "billing"), ("Downtown", "staff")}
    for week_before in ("2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09"):
        earlier = js(sample("themes", "--emerging", "--as-of", week_before, "--format", "json"))
        assert ("Eastgate", "billing") not in {(r["location"], r["theme"]) for r in earlier}, week_before


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
    assert emerging("--location", "Northside", "--location", "Westview") == []
    refused = sample("themes", "--emerging", "--since", "4w", "--as-of", "2026-11-16")
    assert refused.exit_code == 2, refused.output
    assert "--window" in refused.stderr and "Traceback" not in refused.output
    for bad in (("--window", "0d"), ("--baseline", "3d"), ("--window", "36h")):
        refused = sample("themes", "--emerging", *bad)
        assert refused.exit_code == 2, refused.output
        assert bad[0] in refused.stderr and "Traceback" not in refused.output


def test_an_empty_themes_table_prints_no_legend(sqlite_db, tmp_path):
    from tests.cli.conftest import Cli
    from tests.factories import response, write_plain

    cli = Cli(sqlite_db)
    rows = [response("1", "2026-11-03T09:00:00-06:00", 2, "The bill was wrong")]
    assert cli("import", write_plain(tmp_path / "e.csv", rows)).exit_code == 0
    empty = cli("themes", "--since", "2020-01-01", "--until", "2020-02-01")
    assert empty.exit_code == 0, empty.output
    assert empty.stderr == "no comments in this window\n"  # and no "impact = ..." legend for a table not shown
    shown = cli("themes", "--since", "2026-11-01", "--until", "2026-11-08")
    assert shown.exit_code == 0 and "impact = NPS of responses mentioning the theme" in shown.stderr
