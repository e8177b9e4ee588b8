"""The themes a comment raised, shown where the comment is: `detractors`, `tickets show`, `tickets list`.

The clinic's taxonomy here (npscli.toml -> themes.toml) has three keyword themes, so the themes each comment
must carry are known from its words, independently of the matcher's code.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from tests.factories import response, write_plain

TAXONOMY = """
[themes.billing]
label = "Billing and insurance"
root_cause = "billing"
keywords = ["invoice", "invoices"]

[themes.parking]
label = "Parking"
root_cause = "facility"
keywords = ["parking"]

[themes.queue]
label = "Queues"
root_cause = "wait_time"
keywords = ["queue"]
"""

# response id -> (score, comment, the themes its words name, in the taxonomy's order)
COMMENTS = {
    "1": (2, "There was no parking and the invoice was wrong.", ["billing", "parking"]),
    "2": (5, "The queue went out the door.", ["queue"]),
    "3": (6, "The nurse was lovely.", []),
    "4": (3, "", []),
    "5": (10, "Invoice fine, parking fine.", None),  # a promoter: no ticket, not a detractor
}


@pytest.fixture
def clinic(cli, tmp_path):
    (tmp_path / "themes.toml").write_text(TAXONOMY, encoding="utf-8")
    (tmp_path / "npscli.toml").write_text('[themes]\ntaxonomy = "themes.toml"\n', encoding="utf-8")
    rows = [
        response(rid, f"2025-11-0{rid}T09:00:00-06:00", score, comment) for rid, (score, comment, _) in COMMENTS.items()
    ]
    result = cli("import", write_plain(tmp_path / "export.csv", rows))
    assert result.exit_code == 0, result.output
    return cli


def js(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def expected_themes(rid: str) -> list[str]:
    return COMMENTS[rid][2]


def test_detractors_json_lists_each_comments_theme_codes(clinic):
    rows = js(clinic("detractors", "--as-of", "2025-11-10", "--format", "json"))
    assert {r["response_id"]: r["themes"] for r in rows} == {rid: expected_themes(rid) for rid in "1234"}
    assert list(rows[0])[list(rows[0]).index("comment") + 1] == "themes"  # beside the comment


def test_detractors_csv_table_and_markdown_show_them(clinic):
    result = clinic("detractors", "--as-of", "2025-11-10", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = {r["response_id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["1"]["themes"] == "billing, parking" and rows["2"]["themes"] == "queue" and rows["3"]["themes"] == ""
    table = clinic("detractors", "--as-of", "2025-11-10")
    assert table.exit_code == 0, table.output
    header = next(line for line in table.stdout.splitlines() if "comment" in line)
    assert [cell.strip() for cell in header.strip("|").split("|")][5:8] == ["comment", "themes", "ticket"]
    assert "queue" in table.stdout and "parking" in table.stdout
    markdown = clinic("detractors", "--as-of", "2025-11-10", "--format", "markdown")
    assert markdown.exit_code == 0, markdown.output
    assert "| billing<br>parking |" in markdown.stdout


def ticket_for(cli, rid: str) -> str:
    rows = js(cli("detractors", "--as-of", "2025-11-10", "--format", "json"))
    return next(r["ticket_id"] for r in rows if r["response_id"] == rid)


def test_tickets_show_has_the_themes_in_json_and_text(clinic):
    ticket = ticket_for(clinic, "1")
    shown = js(clinic("tickets", "show", ticket, "--format", "json"))
    assert shown["themes"] == ["billing", "parking"]
    text = clinic("tickets", "show", ticket, "--hide-contact")
    assert text.exit_code == 0, text.output
    why = f"  (why: npscli themes explain --ticket {ticket})"
    assert f"themes: Billing and insurance (billing), Parking (parking){why}\n" in text.stdout
    quiet = js(clinic("tickets", "show", ticket_for(clinic, "3"), "--format", "json"))
    assert quiet["themes"] == []
    no_comment = clinic("tickets", "show", ticket_for(clinic, "4"))
    assert no_comment.exit_code == 0 and "themes:" not in no_comment.stdout


def test_tickets_list_json_and_csv_carry_them(clinic):
    rows = js(clinic("tickets", "list", "--format", "json"))
    assert {r["response_id"]: r["themes"] for r in rows} == {rid: expected_themes(rid) for rid in "1234"}
    result = clinic("tickets", "list", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert {r["response_id"]: r["themes"] for r in csv.DictReader(io.StringIO(result.stdout))} == {
        "1": "billing, parking",
        "2": "queue",
        "3": "",
        "4": "",
    }


def test_a_broken_taxonomy_hides_the_themes_not_the_detractors(clinic, tmp_path):
    # a new file: the taxonomy already read from themes.toml is cached for the life of this (test) process
    (tmp_path / "broken.toml").write_text("[themes.billing\n", encoding="utf-8")
    (tmp_path / "npscli.toml").write_text('[themes]\ntaxonomy = "broken.toml"\n', encoding="utf-8")
    result = clinic("detractors", "--as-of", "2025-11-10", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 4 and all(r["themes"] is None for r in rows)
    assert "themes not shown" in result.stderr and "broken.toml" in result.stderr
    shown = clinic("tickets", "show", rows[0]["ticket_id"], "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["themes"] is None


def test_the_packaged_taxonomy_by_default(cli, tmp_path):
    rows = [response("9", "2025-11-03T09:00:00-06:00", 1, "I was overcharged and the bill was wrong.")]
    assert cli("import", write_plain(tmp_path / "e.csv", rows)).exit_code == 0
    shown = js(cli("detractors", "--as-of", "2025-11-10", "--format", "json"))
    assert "billing" in shown[0]["themes"]


def _stored_themes(db: str) -> dict[str, str | None]:
    from sqlalchemy import select

    from npscli.store import schema
    from npscli.store.engine import open_store

    store = open_store(db)
    R, T = schema.responses, schema.tickets
    with store.read() as conn:
        found = dict(conn.execute(select(R.c.response_id, T.c.themes).join(T, T.c.response_pk == R.c.id)).all())
    store.dispose()
    return found


def _set_stored_themes(db: str, response_id: str, themes: str) -> None:
    from sqlalchemy import select

    from npscli.store import schema
    from npscli.store.engine import open_store

    store = open_store(db)
    R, T = schema.responses, schema.tickets
    with store.write() as conn:
        pk = select(R.c.id).where(R.c.response_id == response_id).scalar_subquery()
        assert conn.execute(T.update().where(T.c.response_pk == pk).values(themes=themes)).rowcount == 1
    store.dispose()


def test_each_ticket_keeps_its_comments_themes_from_the_import(clinic, db):
    """The import matches each detractor's comment once and keeps the themes on its ticket (codes joined by
    commas, "" for none), with the matching's fingerprint on the batch."""
    assert _stored_themes(db) == {"1": "billing,parking", "2": "queue", "3": "", "4": None}  # 4: no comment
    from sqlalchemy import select

    from npscli.store import schema
    from npscli.store.engine import open_store

    store = open_store(db)
    with store.read() as conn:
        [key] = conn.execute(select(schema.import_batches.c.themes_key)).scalars().all()
    store.dispose()
    assert len(key) == 32 and int(key, 16) >= 0


def test_detractors_show_the_stored_themes_while_the_matching_is_the_same_and_match_again_after_it_changes(
    clinic, db, tmp_path
):
    # The stored themes are what is shown while the taxonomy, model and code are those of the import: a
    # value put in the store by hand shows (so they are read, not matched again) ...
    _set_stored_themes(db, "2", "billing")
    rows = js(clinic("detractors", "--as-of", "2025-11-10", "--format", "json"))
    shown = {r["response_id"]: r["themes"] for r in rows}
    assert shown == {"1": ["billing", "parking"], "2": ["billing"], "3": [], "4": []}
    listed = js(clinic("tickets", "list", "--as-of", "2025-11-10", "--format", "json"))
    assert {r["response_id"]: r["themes"] for r in listed}["2"] == ["billing"]  # (tickets list alike)
    # ... the same taxonomy in another file is the same matching ...
    (tmp_path / "copy.toml").write_text(TAXONOMY, encoding="utf-8")
    (tmp_path / "npscli.toml").write_text('[themes]\ntaxonomy = "copy.toml"\n', encoding="utf-8")
    rows = js(clinic("detractors", "--as-of", "2025-11-10", "--format", "json"))
    assert {r["response_id"]: r["themes"] for r in rows}["2"] == ["billing"]
    # ... and a clinic that edits its taxonomy sees the themes of the new one at once.
    edited = TAXONOMY + '\n[themes.door]\nlabel = "Doors"\nroot_cause = "facility"\nkeywords = ["door"]\n'
    (tmp_path / "edited.toml").write_text(edited, encoding="utf-8")
    (tmp_path / "npscli.toml").write_text('[themes]\ntaxonomy = "edited.toml"\n', encoding="utf-8")
    rows = js(clinic("detractors", "--as-of", "2025-11-10", "--format", "json"))
    assert {r["response_id"]: r["themes"] for r in rows} == {
        "1": ["billing", "parking"],
        "2": ["queue", "door"],
        "3": [],
        "4": [],
    }
