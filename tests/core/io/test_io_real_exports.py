"""The two genuine Qualtrics exports in tests/data/real-exports (ropensci/qualtRics test data, MIT).

Neither has an NPS question: the header must be found, the single data row read, the missing score
reported with the columns found, and ``--map score=Q1`` must make the row count (Q1 holds 2 there).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from npscli.core.errors import ColumnError
from npscli.io.exports import ReadOptions, read_export

REAL = Path(__file__).resolve().parents[2] / "data" / "real-exports"  # copies of the shared ones, byte for byte
CURRENT = REAL / "qualtrics_current_de.csv"
LEGACY = REAL / "qualtrics_legacy.csv"


@pytest.mark.parametrize(
    ("path", "first_columns"),
    [
        (CURRENT, "StartDate, EndDate, Status, IPAddress, Progress, Duration (in seconds), Finished"),
        (LEGACY, "ResponseID, ResponseSet, Name, ExternalDataReference, EmailAddress, IPAddress, Status"),
    ],
)
def test_no_score_column_is_reported_with_the_columns_found(path: Path, first_columns: str):
    with pytest.raises(ColumnError) as raised:
        read_export(path)
    message = str(raised.value)
    assert message.startswith(f"{path.name}: no 0-10 likelihood-to-recommend column found (columns: ")
    assert first_columns in message
    assert "Q1, Q2" in message
    assert raised.value.hint == "name it with --map score=COLUMN"
    assert "Hello World" not in message  # a cell's contents never appear


def test_current_export_with_map_reads_its_single_row():
    parsed = read_export(CURRENT, ReadOptions(overrides={"score": "Q1"}))
    assert parsed.layout == "qualtrics"
    assert parsed.rows_read == 1
    assert parsed.issues == []
    assert parsed.mapping["score"] == "Q1"
    assert parsed.mapping_source["score"] == "--map"
    assert parsed.mapping["submitted_at"] == "RecordedDate"
    assert parsed.mapping["comment"] == "Q2"  # QID2_TEXT, not "Q2 - Topics"
    assert "location" not in parsed.mapping  # LocationLatitude is the IP location, not the clinic
    record = parsed.records.iloc[0]
    assert record["row"] == 4  # three header rows
    assert record["score"] == 2
    assert record["response_id"] == "R_2YPOQ602ER1jkf1"
    assert record["submitted_at"] == pd.Timestamp("2017-07-18 08:28:48")
    assert record["comment"] == "Hello World!"
    assert parsed.columns[-1] == "Q2 - Topics"
    assert len(parsed.sha256) == 64


def test_legacy_export_with_map_reads_its_single_row():
    parsed = read_export(LEGACY, ReadOptions(overrides={"score": "Q1"}))
    assert parsed.layout == "qualtrics-legacy"
    assert parsed.rows_read == 1
    assert parsed.issues == []
    assert len(parsed.columns) == 15  # the trailing comma's empty column is dropped
    record = parsed.records.iloc[0]
    assert record["row"] == 3  # two header rows
    assert record["score"] == 2
    assert record["response_id"] == "R_2YPOQ602ER1jkf1"
    assert record["submitted_at"] == pd.Timestamp("2017-07-18 08:28:48")  # EndDate
    assert record["comment"] == "Hello World!"


def test_map_by_question_text_works_on_the_german_export():
    parsed = read_export(CURRENT, ReadOptions(overrides={"score": "This is a multiple choice question."}))
    assert parsed.mapping["score"] == "Q1"
    assert parsed.records["score"].tolist() == [2]


def test_single_row_never_trips_the_scale_check():
    # Q1 holds 2: on a 1-5 scale too, but one value proves nothing (the check needs at least ten).
    parsed = read_export(LEGACY, ReadOptions(overrides={"score": "Q1"}, scale_check=True))
    assert len(parsed.records) == 1


def test_surveymonkey_copy_without_metadata_columns_reads_its_label_row_as_header():
    """cncf/surveys' 2021 H1 maintainers file (Apache-2.0): the publisher emptied the id and date columns, so
    no blank label stands under a metadata name. Its label row ("Kubernetes", ..., "Response") is header, not a
    response rejected for its score."""
    path = REAL / "surveymonkey_cncf_maintainers_2021h1_nometadata_en.csv"
    parsed = read_export(path, ReadOptions(date_required=False))
    assert parsed.layout == "surveymonkey"
    assert parsed.issues == []
    assert parsed.rows_read == len(parsed.records) == 93
    assert parsed.records["row"].iloc[0] == 3  # two header rows
    assert "Which CNCF project(s) are you maintaining? - Kubernetes" in parsed.columns


def test_the_recommend_questions_own_comment_box_is_the_comment():
    """SurveyMonkey puts a 'Comments:' box under a question: the recommend question's own ('... and why? -
    Comments:') says why the score was given, so it is the comment, not another question's box or a later
    'Any other feedback'; --map comment=... still decides."""
    path = REAL / "surveymonkey_cncf_maintainers_2023h1_noid_en.csv"
    parsed = read_export(path, ReadOptions(date_required=False))
    assert parsed.mapping["comment"] == "Would you recommend CNCF to other open source projects, and why? - Comments:"
    assert parsed.mapping_reason["comment"] == "the comment box of the recommend question"
    other = next(name for name in pd.read_csv(path, nrows=0).columns if name.startswith("Any other feedback"))
    chosen = read_export(path, ReadOptions(date_required=False, overrides={"comment": other}))
    assert chosen.mapping["comment"].startswith(other) and "comment" not in chosen.mapping_reason
