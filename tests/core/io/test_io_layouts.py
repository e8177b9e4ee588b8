"""Every vendor layout reads with no overrides: header found by content, columns mapped, rows accounted for."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from npscli.io.exports import CANONICAL_FIELDS, ParsedExport, ReadOptions, read_export

EXPORTS = Path(__file__).resolve().parents[2] / "data" / "exports"
NEW_YORK = ReadOptions(timezone="America/New_York")
RECORD_COLUMNS = [
    "row", "response_id", "response_key", "submitted_at", "local_date", "score", "comment", "location",
    "department", "provider", "patient_name", "email", "phone", "patient_id",
]  # fmt: skip


def read(name: str, options: ReadOptions = NEW_YORK) -> ParsedExport:
    parsed = read_export(EXPORTS / name, options)
    assert parsed.rows_read == len(parsed.records) + len(parsed.issues)
    assert list(parsed.records.columns) == RECORD_COLUMNS
    assert set(parsed.mapping) <= set(CANONICAL_FIELDS)
    assert set(parsed.mapping) == set(parsed.mapping_source)
    return parsed


def outcomes(parsed: ParsedExport) -> dict[int, tuple[str, str, str | None]]:
    return {issue.row: (issue.outcome, issue.reason, issue.column) for issue in parsed.issues}


def test_qualtrics_current_three_header_rows():
    parsed = read("qualtrics_nps.csv")
    assert parsed.layout == "qualtrics"
    assert parsed.columns[:3] == ["StartDate", "EndDate", "Status"]
    assert parsed.mapping == {
        "response_id": "ResponseId",
        "submitted_at": "RecordedDate",
        "score": "Q1",
        "comment": "Q2",
        "location": "Clinic",
        "department": "Department",
        "provider": "Provider",
        "patient_name": "RecipientFirstName + RecipientLastName",
        "email": "RecipientEmail",
        "patient_id": "ExternalReference",
    }
    assert parsed.mapping_source["score"] == "question text"
    assert parsed.mapping_source["response_id"] == "header"
    assert parsed.rows_read == 8
    records = parsed.records
    assert records["row"].tolist() == [4, 5, 9]
    assert records["score"].tolist() == [10, 3, 8]
    assert records["response_id"].tolist() == ["R_1aaaaaaaaaaaaa1", "R_2bbbbbbbbbbbbb2", "R_6fffffffffffff6"]
    assert records["response_key"].tolist()[0] == "id:R_1aaaaaaaaaaaaa1"
    assert records["comment"].tolist()[1] == 'Waited 90 minutes.\nNobody said "sorry".\nCafé was closed too.'
    assert records["comment"].tolist()[2] is None
    assert records["patient_name"].tolist() == ["Ana Pérez", "Jörg Müller", "Siobhán O'Brien"]
    assert outcomes(parsed) == {
        6: ("excluded", "Status is Survey Preview", "Status"),  # its score "eleven" does not matter
        7: ("excluded", "Status is Spam", "Status"),
        8: ("skipped", "blank score (partial response)", "Q1"),
        10: ("excluded", "Status is Survey Test", "Status"),
        11: ("rejected", "missing submitted_at", "RecordedDate"),
    }


def test_qualtrics_row_three_time_zone_converts_to_utc():
    parsed = read("qualtrics_nps.csv", ReadOptions(timezone="UTC"))
    first = parsed.records.iloc[0]
    # {"ImportId":"recordedDate","timeZone":"America/New_York"}: 11:13:44 EDT is 15:13:44 UTC.
    assert first["submitted_at"] == pd.Timestamp("2025-07-01 15:13:44")
    assert first["local_date"] == "2025-07-01"


def test_qualtrics_never_reads_the_nps_group_as_the_score():
    parsed = read("qualtrics_numeric_de.csv")
    assert parsed.mapping["score"] == "Q1"
    assert "Q1_NPS_GROUP" not in parsed.mapping.values()


def test_qualtrics_german_question_text_and_numeric_status_codes():
    parsed = read("qualtrics_numeric_de.csv")
    assert parsed.layout == "qualtrics"
    assert parsed.mapping["location"] == "Standort"  # not "Breitengrad des Standorts" (the IP location)
    assert parsed.mapping["department"] == "Q3"
    assert parsed.mapping_source["department"] == "question text"
    assert parsed.records["row"].tolist() == [4, 7, 12]  # codes 0, 4 (Imported) and 16 (Offline) are real
    assert parsed.records["score"].tolist() == [10, 6, 9]
    assert outcomes(parsed) == {
        5: ("excluded", "Status is Survey Preview", "Status"),
        6: ("excluded", "Status is Survey Test", "Status"),
        8: ("excluded", "Status is Spam", "Status"),
        9: ("excluded", "Status is Preview Spam", "Status"),
        10: ("excluded", "Status is Imported Spam", "Status"),
        11: ("excluded", "Status is Offline Survey Preview", "Status"),
    }


def test_qualtrics_legacy_two_header_rows_bom_and_trailing_comma():
    parsed = read("qualtrics_legacy_nps.csv")
    assert parsed.layout == "qualtrics-legacy"
    assert parsed.columns[0] == "ResponseID"  # row 2's name for V1, BOM removed
    assert parsed.columns[-1] == "LocationAccuracy"  # the empty column of the trailing comma is dropped
    assert parsed.mapping["score"] == "Q1"
    assert parsed.mapping["comment"] == "Q2"
    assert parsed.mapping["department"] == "Q3"
    assert parsed.mapping["location"] == "Clinic"
    assert parsed.mapping["submitted_at"] == "EndDate"
    assert parsed.mapping["patient_name"] == "Name"
    assert parsed.records["row"].tolist() == [3, 6]
    assert parsed.records["comment"].tolist()[1] == 'Billing was confusing; "call us" went to voicemail.'
    assert outcomes(parsed) == {
        4: ("excluded", "Status is Survey Preview", "Status"),
        5: ("skipped", "blank score (partial response)", "Q1"),
    }


def test_legacy_v_names_still_work_as_overrides():
    parsed = read("qualtrics_legacy_nps.csv", ReadOptions(overrides={"response_id": "V1"}))
    assert parsed.mapping["response_id"] == "ResponseID"
    assert parsed.mapping_source["response_id"] == "--map"


def test_surveymonkey_two_header_rows_and_multi_option_questions():
    parsed = read("surveymonkey.csv")
    assert parsed.layout == "surveymonkey"
    question = "How likely is it that you would recommend Harbor Health to a friend or colleague?"
    services = "Which services did you use today? (Select all that apply, please)"
    assert parsed.columns[9] == question
    assert parsed.columns[11:14] == [
        f"{services} - Cardiology",
        f"{services} - Dermatology",
        f"{services} - Other (please specify)",
    ]
    assert parsed.columns[14] == "What could we do better? (Optional)"  # the newline in the header is a space
    assert parsed.columns[16] == "Q&A: anything else?"  # HTML entity decoded
    assert parsed.mapping == {
        "response_id": "Respondent ID",
        "submitted_at": "End Date",
        "score": question,
        "comment": "What could we do better? (Optional)",
        "location": "Which clinic did you visit?",
        "provider": "Who did you see?",
        "patient_name": "First Name + Last Name",
        "email": "Email Address",
    }
    assert parsed.records["score"].tolist() == [10, 0, 7]  # "10 - Extremely likely", "0 - Not at all likely"
    assert parsed.records["patient_name"].tolist() == ["Ana Pérez", "Bo Chen", None]
    assert parsed.records["submitted_at"].tolist()[0] == pd.Timestamp("2025-07-01 15:13:44")
    assert outcomes(parsed) == {
        6: ("skipped", "blank score (partial response)", question),
        7: ("rejected", "score is not a whole number", question),
    }


def test_google_forms_timestamps_with_gmt_offsets():
    parsed = read("google_forms.csv")
    assert parsed.layout == "google-forms"
    assert parsed.mapping["submitted_at"] == "Timestamp"
    assert parsed.mapping["comment"] == "Why did you give that score?"
    assert parsed.mapping["location"] == "Which clinic did you visit?"
    assert parsed.mapping["email"] == "Email Address"
    assert parsed.mapping["phone"] == "Phone number (optional)"
    assert "response_id" not in parsed.mapping
    assert parsed.records["submitted_at"].tolist() == [
        pd.Timestamp("2022-06-22 14:07:29"),  # 11:07:29 AM GMT-3
        pd.Timestamp("2022-06-22 09:45:00"),  # 3:15:00 PM GMT+5:30
        pd.Timestamp("2022-06-23 09:00:00"),  # 9:00:00 AM GMT
    ]
    assert all(key.startswith("row:") and len(key) == 4 + 32 for key in parsed.records["response_key"])
    assert outcomes(parsed) == {
        5: ("rejected", "score is not a number", parsed.mapping["score"]),
    }


def test_typeform_token_ids_and_utc_submit_dates():
    parsed = read("typeform.csv")
    assert parsed.layout == "typeform"
    assert parsed.mapping["response_id"] == "#"
    assert parsed.mapping["submitted_at"] == "Submit Date (UTC)"
    assert parsed.mapping["comment"] == "What's the main reason for your score?"
    assert parsed.mapping["location"] == "Which location did you visit?"
    assert parsed.mapping["email"] == "Your email"
    # "(UTC)" in the header: naive times are UTC whatever the clinic's zone.
    assert parsed.records["submitted_at"].tolist()[0] == pd.Timestamp("2025-07-01 11:13:44")
    assert outcomes(parsed) == {4: ("skipped", "blank score (partial response)", parsed.mapping["score"])}


def test_delighted_person_properties():
    parsed = read("delighted.csv")
    assert parsed.layout == "delighted"
    assert parsed.mapping == {
        "response_id": "Response ID",
        "submitted_at": "Response timestamp",
        "score": "Score",
        "comment": "Comment",
        "location": "Location",
        "department": "Department",
        "patient_name": "Name",
        "email": "Email",
        "phone": "Phone",
    }
    assert parsed.records["submitted_at"].tolist() == [
        pd.Timestamp("2025-07-01 18:13:44"),
        pd.Timestamp("2025-07-01 19:00:00"),
    ]
    assert outcomes(parsed) == {
        4: ("rejected", "score is outside 0-10", "Score"),
        5: ("rejected", "score is outside 0-10", "Score"),
        6: ("rejected", "submitted_at could not be parsed as a date", "Response timestamp"),
    }


def test_plain_table_below_title_lines():
    parsed = read("plain_junk_title.csv")
    assert parsed.layout == "plain"
    assert parsed.columns[0] == "Response Id"
    assert parsed.mapping == {
        "response_id": "Response Id",
        "submitted_at": "Submitted",
        "score": "How likely are you to recommend us?",
        "location": "Practice",
        "department": "Unit",
        "provider": "Doctor",
        "patient_name": "Patient Name",
        "phone": "Mobile",
        "patient_id": "Patient ID",
    }
    assert parsed.records["row"].tolist() == [5, 6]  # two title lines and a blank line above the header
    assert parsed.records["patient_id"].tolist() == ["MRN-7001", "MRN-7002"]


def test_qualtrics_xlsx_reads_like_the_csv():
    parsed = read("qualtrics.xlsx")
    assert parsed.layout == "qualtrics"
    assert parsed.mapping["score"] == "Q1"
    assert parsed.records["row"].tolist() == [4]
    assert parsed.records["score"].tolist() == [10]
    assert parsed.records["submitted_at"].tolist() == [pd.Timestamp("2025-07-01 15:13:44")]
    assert outcomes(parsed) == {5: ("excluded", "Status is Survey Preview", "Status")}


def test_records_dtypes_and_empty_values_are_none():
    records = read("surveymonkey.csv").records
    assert str(records["row"].dtype) == "int64"
    assert str(records["score"].dtype) == "int64"
    assert str(records["submitted_at"].dtype) == "datetime64[ns]"
    assert records["submitted_at"].dt.tz is None
    for column in ("response_id", "response_key", "local_date", "comment", "department", "phone"):
        assert records[column].dtype == object
    assert records["department"].tolist() == [None, None, None]
    assert records["local_date"].tolist() == ["2025-07-01", "2025-07-01", "2025-07-02"]


def test_overrides_by_field_name_or_question_text_win():
    options = ReadOptions(
        timezone="America/New_York",
        overrides={"comment": "why did you give that score? please tell us, in your own words.", "location": "q2"},
    )
    parsed = read("qualtrics_nps.csv", options)
    assert parsed.mapping["comment"] == "Q2"
    assert parsed.mapping_source["comment"] == "--map"
    assert parsed.mapping["location"] == "Q2"


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_surveymonkey_with_many_options_is_still_found(tmp_path: Path):
    options = [f"Option {number}" for number in range(20)]
    path = write_rows(
        tmp_path / "wide.csv",
        [
            ["Respondent ID", "Start Date", "End Date", "How likely is it that you would recommend us?", "Services"]
            + [""] * 19
            + ["Comments"],
            ["", "", "", "Response", *options, "Open-Ended Response"],
            ["1", "07/01/2025 10:00:00 AM", "07/01/2025 10:05:00 AM", "9", "Option 0", *[""] * 19, "ok"],
        ],
    )
    parsed = read_export(path)
    assert parsed.layout == "surveymonkey"
    assert parsed.columns[4:6] == ["Services - Option 0", "Services - Option 1"]
    assert parsed.records["score"].tolist() == [9]
    assert parsed.records["row"].tolist() == [3]


def test_surveymonkey_without_its_metadata_columns_is_still_found(tmp_path: Path):
    """A publisher's copy with Respondent ID, dates and the rest removed (cncf/surveys 2021 H1): every question
    has a label under it, so no blank label stands under a metadata name; the options of a multi-select under
    its blank header cells, and "Response" twice, still say SurveyMonkey. The label row is no response."""
    path = write_rows(
        tmp_path / "no_metadata.csv",
        [
            ["", "", "Which projects?", "", "", "How likely is it that you would recommend us?", "Why?"],
            ["", "", "Alpha", "Beta", "Gamma", "Response", "Response"],
            ["", "", "Alpha", "", "Gamma", "9", "fine"],
            ["", "", "", "Beta", "", "3", "slow"],
        ],
    )
    parsed = read_export(path, ReadOptions(date_required=False))
    assert parsed.layout == "surveymonkey"
    assert parsed.columns[:3] == ["Which projects? - Alpha", "Which projects? - Beta", "Which projects? - Gamma"]
    assert parsed.records["score"].tolist() == [9, 3]
    assert parsed.records["row"].tolist() == [3, 4]
    assert parsed.rows_read == 2 and parsed.issues == []


def test_surveymonkey_option_labels_that_are_numbers_are_still_its_second_header_row(tmp_path: Path):
    """Shaped like cncf/surveys' Cloud Native Survey 2019 (metadata removed by the publisher): a question of five
    numbered text boxes labelled "1" ... "5" (and a rating matrix's "1" ... "5") under its blank header cells.
    Numbers there are option labels, not answers: the file is SurveyMonkey, not a plain table headed by its
    label row (which named no score column)."""
    question = "How likely is it that you would recommend us to a friend or colleague?"
    path = write_rows(
        tmp_path / "numbered.csv",
        [
            ["Where are you?", "What five words describe us?", "", "", "", "", question, "Why?"],
            ["Response", "1", "2", "3", "4", "5", "Response", "Open-Ended Response"],
            ["Europe", "fast", "kind", "", "", "", "9", "fine"],
            ["Asia", "slow", "", "", "", "", "4", "queue"],
        ],
    )
    parsed = read_export(path, ReadOptions(date_required=False))
    assert parsed.layout == "surveymonkey"
    assert parsed.columns[1:3] == ["What five words describe us? - 1", "What five words describe us? - 2"]
    assert parsed.mapping["score"] == question and parsed.mapping["comment"] == "Why?"
    assert parsed.records["score"].tolist() == [9, 4]
    assert parsed.records["row"].tolist() == [3, 4]
    assert parsed.rows_read == 2 and parsed.issues == []


def test_a_plain_first_row_with_numbers_and_response_answers_stays_data(tmp_path: Path):
    """A number under a one-column question is an answer, also beside an unnamed row-number column (R's
    write.csv): the row below the header is a response, however many cells read "Response"."""
    path = write_rows(
        tmp_path / "plain.csv",
        [
            ["", "Channel", "Reply", "How likely is it that you would recommend us?"],
            ["1", "Response", "Response", "8"],
            ["2", "Email", "Reminder", "10"],
        ],
    )
    parsed = read_export(path, ReadOptions(date_required=False))
    assert parsed.layout == "plain"
    assert parsed.records["score"].tolist() == [8, 10]


def test_limesurvey_vv_export_has_two_header_rows_and_hidden_questions_are_blank(tmp_path: Path):
    """LimeSurvey's VV export (tab-separated, shaped like r0bis/ls-hwu-fb-demo's vvexport_467000.csv): row 1
    the full headings, row 2 the field codes (id, submitdate, lastpage, ...). The codes row is header, not a
    response rejected for its score; "{question_not_shown}" (the answer to a question the respondent's answers
    hid) is a blank score, skipped, not a bad one; "9.0000000000" is 9."""
    question = "How likely is it that you would recommend our clinic to a friend or colleague?"
    lines = [
        ["Response ID", "Date submitted", "Last page", "Start language", "Seed", "Date started", question, "Why?"],
        ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "NPS", "NPSwhy"],
        ["84", "2022-11-21 13:36:07", "1", "en", "631", "2022-11-21 13:30:00", "9.0000000000", "kind staff"],
        ["91", "2022-11-21 14:36:45", "1", "en", "632", "2022-11-21 14:30:00", "{question_not_shown}", ""],
        ["98", "2022-11-22 09:12:00", "1", "en", "633", "2022-11-22 09:01:00", "3.0000000000", "long wait"],
    ]
    path = tmp_path / "vvexport_467000.csv"
    path.write_text("".join("\t".join(line) + "\n" for line in lines), encoding="utf-8")
    parsed = read_export(path)
    assert parsed.layout == "limesurvey"
    assert parsed.columns == ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "NPS", "NPSwhy"]
    assert parsed.mapping["score"] == "NPS" and parsed.mapping["comment"] == "NPSwhy"
    assert parsed.mapping["response_id"] == "id" and parsed.mapping["submitted_at"] == "submitdate"
    assert parsed.records["score"].tolist() == [9, 3]
    assert parsed.records["response_id"].tolist() == ["84", "98"]
    assert outcomes(parsed) == {4: ("skipped", "blank score (partial response)", "NPS")}
    assert parsed.rows_read == 3


def test_limesurvey_csv_with_question_code_headings_is_named_so(tmp_path: Path):
    path = write_rows(
        tmp_path / "results-survey467000.csv",
        [
            ["id", "submitdate", "lastpage", "startlanguage", "seed", "NPS"],
            ["1", "2022-11-21 13:36:07", "2", "de", "1234", "10"],
        ],
    )
    parsed = read_export(path)
    assert parsed.layout == "limesurvey"
    assert parsed.mapping["submitted_at"] == "submitdate"
    assert parsed.records["score"].tolist() == [10]


def test_survicate_second_header_row_of_score_label_answer_insight(tmp_path: Path):
    """Shaped like a Survicate export (ndeshmukh-coder/qase-nps-analysis, not vendored: it holds respondents'
    e-mails and names): row 2 says "Score" and "Label" (the NPS group) under the rating question, "Answer" and
    "Insight" under a text one, and is blank under the metadata. It is header, not a response rejected."""
    question = "Q#1: How likely are you to recommend Acme on a scale from 0 to 10?"
    path = write_rows(
        tmp_path / "survicate.csv",
        [
            ["Date & Time (UTC)", "Response uuid", "Device", question, "", "Q#2: What could we improve?", "", "city"],
            ["", "", "", "Score", "Label", "Answer", "Insight", ""],
            ["2023-03-27 17:31:53", "c5051979-0139", "", "7", "Passive", "", "", "Columbus"],
            ["2023-03-27 17:32:10", "a9703d72-63be", "", "10", "Promoter", "Faster search", "Search", "Yerevan"],
            ["2023-03-28 02:16:02", "b6ba495c-105c", "", "5", "Detractor", "Too slow", "Performance", "Taipei"],
        ],
    )
    parsed = read_export(path)
    assert parsed.layout == "survicate"
    assert parsed.columns[3:7] == [question, f"{question} - Label", "Q#2: What could we improve?",
                                   "Q#2: What could we improve? - Insight"]  # fmt: skip
    assert parsed.mapping["score"] == question
    assert parsed.mapping["response_id"] == "Response uuid"
    assert parsed.records["score"].tolist() == [7, 10, 5]
    assert parsed.records["row"].tolist() == [3, 4, 5]
    assert parsed.rows_read == 3 and parsed.issues == []


def test_two_spilled_records_in_a_small_file_do_not_hide_its_header(tmp_path: Path):
    """Two records with twenty stray delimiters among six scanned rows made every row too narrow to be the
    header ("no header row found"; found by the narrow-read property test). They are rejected, the rest read."""
    path = tmp_path / "spilled.csv"
    spilled = "R905,2025-03-02 09:00,3,long" + ",y" * 20
    good = [f"R{i},2025-03-0{i} 10:00,{i + 5},fine,Clinic A" for i in range(1, 4)]
    path.write_text("\n".join(["Response ID,Date,Score,Comment,Location", spilled, spilled, *good]) + "\n")
    parsed = read_export(path)
    assert parsed.columns == ["Response ID", "Date", "Score", "Comment", "Location"]
    assert parsed.records["score"].tolist() == [6, 7, 8]
    assert [issue.outcome for issue in parsed.issues] == ["rejected", "rejected"]


def test_a_plain_first_row_answering_response_is_not_a_label_row(tmp_path: Path):
    """A plain table whose first answers happen to read "Response" (a channel, say) keeps that row as data."""
    path = write_rows(
        tmp_path / "plain.csv",
        [
            ["Channel", "Reply", "How likely is it that you would recommend us?"],
            ["Response", "Response", "8"],
            ["Email", "Reminder", "10"],
        ],
    )
    parsed = read_export(path, ReadOptions(date_required=False))
    assert parsed.layout == "plain"
    assert parsed.records["score"].tolist() == [8, 10]


def test_the_recommend_question_beats_a_quiz_score_column(tmp_path: Path):
    path = write_rows(
        tmp_path / "quiz.csv",
        [
            ["Timestamp", "Score", "How likely are you to recommend us to a friend?"],
            ["2025/07/01 10:00:00 AM GMT+1", "3 / 5", "8"],
        ],
    )
    parsed = read_export(path)
    assert parsed.mapping["score"] == "How likely are you to recommend us to a friend?"
    assert parsed.records["score"].tolist() == [8]


def test_a_free_text_recommend_question_is_not_the_score(tmp_path: Path):
    path = write_rows(
        tmp_path / "free.csv",
        [
            ["Date", "Would you recommend us? Why?", "Rating"],
            ["2025-07-01", "Yes, the staff were kind", "9"],
            ["2025-07-02", "No, too slow", "2"],
        ],
    )
    parsed = read_export(path)
    assert parsed.mapping["score"] == "Rating"
    assert parsed.mapping["comment"] == "Would you recommend us? Why?"


def test_duplicate_and_blank_header_names_are_made_unique(tmp_path: Path):
    path = write_rows(
        tmp_path / "dupes.csv",
        [
            ["Date", "Score", "Comment", "Comment", ""],
            ["2025-07-01", "9", "first", "second", "orphan value"],
            ["2025-07-02", "eleven", "third", "fourth", "kept for the rejects file"],
        ],
    )
    parsed = read_export(path)
    assert parsed.columns == ["Date", "Score", "Comment", "Comment (2)", "column 5"]
    assert len(parsed.records) == 1 and parsed.issues[0].row == 3
    assert parsed.rejected_cells.loc[3, "column 5"] == "kept for the rejects file"


def test_qualtrics_with_two_header_rows_and_no_import_ids(tmp_path: Path):
    path = write_rows(
        tmp_path / "older_qualtrics.csv",
        [
            ["ResponseId", "StartDate", "EndDate", "Status", "Q1", "Q2"],
            ["Response ID", "Start Date", "End Date", "Response Type", "How likely are you to recommend us?", "Why?"],
            ["R_1", "2025-07-01 10:00:00", "2025-07-01 10:02:00", "IP Address", "9", "Kind staff"],
            ["R_2", "2025-07-01 11:00:00", "2025-07-01 11:02:00", "Survey Preview", "3", "test"],
        ],
    )
    parsed = read_export(path)
    assert parsed.layout == "qualtrics"
    assert parsed.mapping["score"] == "Q1"
    assert parsed.mapping["comment"] == "Q2"
    assert parsed.records["row"].tolist() == [3]
    assert [(issue.row, issue.reason) for issue in parsed.issues] == [(4, "Status is Survey Preview")]


def test_a_large_plain_export_reads_quickly(tmp_path: Path):
    import time

    rows = 200_000
    lines = ["Response ID,Date,Score,Comment,Clinic"]
    lines += [
        f"R{number},2025-{number % 12 + 1:02d}-{number % 28 + 1:02d} 10:{number % 60:02d}:00,{number % 11},,North"
        for number in range(rows)
    ]
    path = tmp_path / "large.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    parsed = read_export(path)
    elapsed = time.perf_counter() - started
    assert len(parsed.records) == rows
    assert elapsed < 10, f"{rows} rows took {elapsed:.1f}s"  # about 0.6 s on a laptop; a very loose bound


def test_two_columns_with_the_same_score_header_are_not_guessed_between(tmp_path: Path):
    """`Score,...,Score`: taking the first would be a silent guess; the error names both and how to choose."""
    import pytest

    from npscli.core.errors import ColumnError

    path = tmp_path / "twins.csv"
    path.write_text("Date,Score,Comment,Score\n2025-11-01,9,ok,3\n2025-11-02,4,slow,10\n", encoding="utf-8")
    with pytest.raises(ColumnError) as raised:
        read_export(path)
    assert raised.value.message == (
        "twins.csv: 2 columns are named 'Score': 'Score' (column 2) and 'Score (2)' (column 4); "
        "which one is the score is a guess"
    )
    assert "--map score='Score (2)'" in raised.value.hint
    chosen = read_export(path, ReadOptions(overrides={"score": "Score (2)"}))
    assert chosen.records["score"].tolist() == [3, 10]
    one = tmp_path / "one.csv"  # a single Score column and another numeric one: no question
    one.write_text("Date,Score,Comment,Rating\n2025-11-01,9,ok,3\n", encoding="utf-8")
    assert read_export(one).records["score"].tolist() == [9]


def _surveymonkey_with_a_why_box(tmp_path: Path, why: list[str]) -> Path:
    """Two questions with a 'Comments:' box each, as SurveyMonkey exports them: the parking question's comes
    first, so a choice by name alone takes it."""
    question = "How likely is it that you would recommend us?"
    rows = [
        ["Respondent ID", "Start Date", "Were you happy with the parking?", "", question, ""],
        ["", "", "Response", "Comments:", "Response", "Comments:"],
    ]
    for number, (score, box) in enumerate(zip(["9", "3", "6", "10"], why, strict=True), start=1):
        rows.append([str(1000 + number), "01/05/2026", "Yes", f"parking remark number {number}", score, box])
    return write_rows(tmp_path / "why_box.csv", rows)


def test_the_recommend_questions_comment_box_is_the_comment_when_it_is_answered(tmp_path: Path):
    """The score question's own 'Comments:' box says why that score was given: it is the comment rather than
    the parking question's box, which the name alone would choose."""
    why = ["kind nurses", "waited two hours", "rude on the phone", "quick and clear"]
    parsed = read_export(_surveymonkey_with_a_why_box(tmp_path, why), ReadOptions(date_required=False))
    assert parsed.mapping["comment"] == "How likely is it that you would recommend us? - Comments:"
    assert parsed.mapping_reason["comment"] == "the comment box of the recommend question"
    assert parsed.records["comment"].tolist() == why


def test_a_mostly_empty_why_box_leaves_the_named_comment_in_place(tmp_path: Path):
    """Answered by one patient in four while the other box is answered by all: choosing it would lose three
    comments, so the comment chosen by name stands."""
    path = _surveymonkey_with_a_why_box(tmp_path, ["", "waited two hours", "", ""])
    parsed = read_export(path, ReadOptions(date_required=False))
    assert parsed.mapping["comment"] == "Were you happy with the parking? - Comments:"
    assert parsed.records["comment"].str.startswith("parking remark").all()


def test_a_hand_made_sheets_total_average_and_median_lines_are_excluded_not_scored(tmp_path: Path):
    """An Excel sheet kept by hand, no date column: below the answers someone typed Total, Average and Median
    lines. "Median ... 9" reads as a promoter and "Total ... 11" as a bad score: both are summary lines,
    excluded (every row still accounted for); a response whose first column happens to read "Total" but that
    holds a comment is a response."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Clinic feedback, first quarter"])
    sheet.append([])
    sheet.append(["Visit", "Room", "Score", "Comment"])
    for visit, score, comment in [("Check-up", 9, "kind"), ("Total", 3, "the total bill was wrong"), ("X-ray", 10, "")]:
        sheet.append([visit, "2", score, comment])
    sheet.append([])
    sheet.append(["Total", "", 3])
    sheet.append(["Average:", "", 7.33])
    sheet.append(["Median", "", 9])
    sheet.append(["", "Mean", "", "73%"])
    path = tmp_path / "by_hand.xlsx"
    workbook.save(path)
    parsed = read_export(path, ReadOptions(date_required=False))
    assert parsed.records["score"].tolist() == [9, 3, 10]
    assert parsed.records["row"].tolist() == [4, 5, 6]
    summary = "a summary row (Total, Average...), not a response"
    assert outcomes(parsed) == {
        8: ("excluded", summary, "Visit"),
        9: ("excluded", summary, "Visit"),
        10: ("excluded", summary, "Visit"),
        11: ("excluded", summary, "Room"),
    }
    assert parsed.rows_read == len(parsed.records) + len(parsed.issues)


def test_a_total_line_below_dated_answers_is_excluded_not_rejected(tmp_path: Path):
    """With a date column only the rows without a time are looked at (a semicolon export saved from Excel, its
    Total line under the answers): excluded as a summary, not rejected for its missing date."""
    path = tmp_path / "enquete.csv"
    path.write_text(
        "Date;Score;Commentaire\n2025-03-01;9;très bien\n2025-03-02;4;attente\n;;\nTotal;13;\nMoyenne;6,5;\n",
        encoding="cp1252",
    )
    parsed = read_export(path)
    assert parsed.records["score"].tolist() == [9, 4]
    assert outcomes(parsed) == {
        5: ("excluded", "a summary row (Total, Average...), not a response", "Date"),
        6: ("excluded", "a summary row (Total, Average...), not a response", "Date"),
    }
