"""Columns chosen by their values as well as their headers, the NPS question in seven languages, and the text
encodings real exports come in. Synthetic files shaped like the real ones of issue 13."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest

from npscli.core.errors import ColumnError, InputFileError, UsageError
from npscli.io.exports import ReadOptions, read_export


def write(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rows(header: list[str], values: list[list[object]]) -> str:
    def cell(value: object) -> str:
        text = str(value)
        return f'"{text}"' if "," in text else text

    return "\n".join(",".join(cell(v) for v in line) for line in [header, *values]) + "\n"


SCORES = [0, 3, 5, 6, 7, 8, 8, 9, 9, 10, 10, 10]


def dated(values: list[list[object]]) -> list[list[object]]:
    return [[f"2025-03-{index + 1:02d} 10:00:00", *line] for index, line in enumerate(values)]


def test_a_0_10_column_beats_a_better_named_column_of_text(tmp_path):
    answers = ["Agree", "Disagree", "Strongly agree"] * 4
    path = write(
        tmp_path,
        rows(
            ["Timestamp", "Recommend", "LikelyToRecommend"],
            dated([[a, s] for a, s in zip(answers, SCORES, strict=True)]),
        ),
    )
    parsed = read_export(path)
    assert parsed.mapping["score"] == "LikelyToRecommend"
    assert "0-10 integers" in parsed.mapping_reason["score"]
    assert "not 'Recommend': text answers" in parsed.mapping_reason["score"]
    assert parsed.records["score"].tolist() == SCORES


def test_a_yes_no_question_coded_0_1_is_never_the_score(tmp_path):
    codes = [1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0]
    path = write(tmp_path, rows(["Timestamp", "Would you recommend this bootcamp?"], dated([[c] for c in codes])))
    with pytest.raises(ColumnError, match="no 0-10 likelihood-to-recommend column"):
        read_export(path)
    both = write(
        tmp_path,
        rows(
            ["Timestamp", "Would you recommend this bootcamp?", "How likely are you to recommend us to a friend?"],
            dated([[c, s] for c, s in zip(codes, SCORES, strict=True)]),
        ),
        name="both.csv",
    )
    parsed = read_export(both)
    assert parsed.mapping["score"] == "How likely are you to recommend us to a friend?"
    assert parsed.records["score"].tolist() == SCORES


def test_a_recommend_question_answered_in_words_is_refused_naming_it_and_why(tmp_path):
    """Shaped like spack/spack-user-survey 2021 ("... would it make you more likely to use/recommend Spack?":
    Probably / Probably not / Yes, definitely! / No) and cncf/surveys' Cloud Native Survey 2019 ("How likely
    would you be to recommend CNCF technologies?": Absolutely / Very Likely ...): the one line says which column
    was named like the score and why it is not one, not only that none was found."""
    words = ["Probably", "Probably not", "Yes, definitely!", "No"] * 3
    codes = [1, 2, 1, 1, 2, 1, 1, 1, 2, 1, 1, 2]
    path = write(
        tmp_path,
        rows(
            ["Timestamp", "Where do you work?", "Would it make you more likely to recommend us?", "Recommended?"],
            dated([["Lab", w, c] for w, c in zip(words, codes, strict=True)]),
        ),
    )
    with pytest.raises(ColumnError) as raised:
        read_export(path)
    message = str(raised.value)
    assert message == (
        "export.csv: no 0-10 likelihood-to-recommend column found: 'Would it make you more likely to reco...'"
        " (column 3) holds text answers; 'Recommended?' (column 4) holds only the answers 1/2 (a yes/no question)"
    )
    assert "--map score=COLUMN" in raised.value.hint and "in words or yes/no is not NPS" in raised.value.hint
    for answer in set(words):
        assert answer not in message  # a cell's contents never appear


def test_a_1_5_column_loses_to_a_0_10_one_and_a_1_10_nps_column_is_fine(tmp_path):
    five = [1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 5, 4]
    ten = [score or 1 for score in SCORES]  # 1-10: no 0 given
    path = write(
        tmp_path, rows(["Timestamp", "Recommendation", "nps"], dated([[f, t] for f, t in zip(five, ten, strict=True)]))
    )
    parsed = read_export(path)
    assert parsed.mapping["score"] == "nps"
    assert parsed.records["score"].tolist() == ten


@pytest.mark.parametrize(
    "question",
    [
        "How likely are you to recommend us to a friend or colleague?",
        "¿Qué tan probable es que recomiendes R a un colega?",
        "¿Qué tan probable es que nos recomiende a un amigo?",
        "Quelle est la probabilité que vous recommandiez notre cabinet à un ami ?",
        "Wie wahrscheinlich ist es, dass Sie uns einem Freund weiterempfehlen?",
        "Qual é a probabilidade de você recomendar a clínica a um amigo?",
        "Quanto è probabile che tu consigli la clinica a un amico?",
        "Hoe waarschijnlijk is het dat u ons aanbeveelt aan een vriend?",
        "nps",
        "NPS",
        "NPS_Score",
    ],
)
def test_the_nps_question_in_seven_languages(tmp_path, question):
    path = write(tmp_path, rows(["Fecha", question, "Comentario"], dated([[s, "ok"] for s in SCORES])))
    parsed = read_export(path)
    assert parsed.mapping["score"] == question.strip()
    assert parsed.records["score"].tolist() == SCORES


def test_two_equally_good_recommend_questions_are_refused_naming_both(tmp_path):
    header = ["Timestamp", "How likely are you to recommend R to a colleague?",
              "How likely are you to recommend Python to a colleague?"]  # fmt: skip
    path = write(tmp_path, rows(header, dated([[s, 10 - s] for s in SCORES])))
    with pytest.raises(ColumnError) as raised:
        read_export(path)
    message = str(raised.value)
    assert "2 columns are equally good score columns" in message
    assert f"{header[1]!r} (column 2) and {header[2]!r} (column 3)" in message
    assert raised.value.hint == f"say which with --map score={header[2]!r} (or --map score={header[1]!r})"
    chosen = read_export(path, ReadOptions(overrides={"score": header[2]}))
    assert chosen.records["score"].tolist() == [10 - s for s in SCORES]


def test_a_column_whose_values_are_not_dates_is_not_the_time(tmp_path):
    values = [["UTC-3", f"2025-03-{i + 1:02d} 10:00:00", s] for i, s in enumerate(SCORES)]
    path = write(tmp_path, rows(["time_zone", "Submitted", "Score"], values))
    parsed = read_export(path)
    assert parsed.mapping["submitted_at"] == "Submitted"
    assert not parsed.issues
    only_zone = write(tmp_path, rows(["time", "Score"], [["UTC-3", s] for s in SCORES]), name="zone.csv")
    with pytest.raises(ColumnError, match="no date/time column"):
        read_export(only_zone)
    assert read_export(only_zone, ReadOptions(date_required=False)).records["score"].tolist() == SCORES


def test_a_file_without_dates_reads_for_scoring_and_with_a_stamp_for_importing(tmp_path):
    from datetime import UTC, datetime

    path = write(tmp_path, rows(["user_id", "text", "NPS_Score"], [[i, "fine", s] for i, s in enumerate(SCORES)]))
    scoring = read_export(path, ReadOptions(date_required=False))
    assert scoring.records["submitted_at"].isna().all() and scoring.stamped is None
    stamp = datetime(2025, 6, 30, tzinfo=UTC)
    stamped = read_export(path, ReadOptions(stamp=stamp))
    assert stamped.stamped == stamp
    assert set(stamped.records["submitted_at"]) == {pd.Timestamp("2025-06-30 00:00:00")}
    assert set(stamped.records["local_date"]) == {"2025-06-30"}


# --- encodings ---------------------------------------------------------------------------------------------

LATIN = "Fecha,Puntuación,Comentario\n2025-03-01 10:00,9,Très bien\n2025-03-02 10:00,4,Trop d'attente\n"


def test_a_cp1252_file_reads_and_says_so(tmp_path):
    parsed = read_export(write(tmp_path, LATIN + "2025-03-03 10:00,10,\u20ac bien\n", encoding="cp1252"))
    assert parsed.encoding == "cp1252"
    assert parsed.records["comment"].tolist() == ["Très bien", "Trop d'attente", "€ bien"]


def test_a_file_written_by_r_in_latin_1_with_dos_bytes_falls_back_to_latin_1(tmp_path):
    # 0x90 is undefined in cp1252 (and 0x82 is CP850's é): a strict cp1252 decode fails; Latin-1 reads it.
    data = LATIN.encode("latin-1") + b"2025-03-03 10:00,8,R\x82ponse \x90cole\n"
    path = tmp_path / "r.csv"
    path.write_bytes(data)
    parsed = read_export(path)
    assert codecs.lookup(parsed.encoding).name == "iso8859-1"
    assert parsed.records["score"].tolist() == [9, 4, 8]
    assert parsed.records["comment"].tolist()[0] == "Très bien"


def test_a_binary_looking_file_is_still_refused(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(b"Date,Score\n2025-07-01,\x81\x8d\x9d\x81\x8d\n")
    with pytest.raises(InputFileError, match="cannot be decoded as text"):
        read_export(path)


def test_encoding_option_is_used_as_given(tmp_path):
    path = write(tmp_path, LATIN, encoding="latin-1")
    parsed = read_export(path, ReadOptions(encoding="latin-1"))
    assert codecs.lookup(parsed.encoding).name == "iso8859-1"
    assert parsed.records["comment"].tolist() == ["Très bien", "Trop d'attente"]
    with pytest.raises(InputFileError, match="cannot be decoded"):
        read_export(path, ReadOptions(encoding="utf-8"))
    with pytest.raises(UsageError, match="--encoding klingon: unknown encoding"):
        read_export(path, ReadOptions(encoding="klingon"))


def test_an_id_that_repeats_with_other_answers_is_not_a_response_id(tmp_path):
    """A customer's id (several answers each) merged their answers into one; a response id never repeats in one
    file except on the same row exported twice."""
    header = ["ID", "Date", "How likely are you to recommend us?"]
    customers = write(
        tmp_path,
        rows(header, [[1, "2025-01-01 10:00", 9], [1, "2025-02-01 10:00", 3], [2, "2025-01-03 10:00", 10],
                      [2, "2025-01-03 10:00", 10]]),
    )  # fmt: skip
    parsed = read_export(customers)
    assert "response_id" not in parsed.mapping
    assert parsed.mapping_reason["response_id"].startswith("'ID' is not a response id (1 of its values repeat")
    assert len(set(parsed.records["response_key"])) == 3  # customer 1's two answers, customer 2's one twice
    responses = write(
        tmp_path,
        rows(header, [[1, "2025-01-01 10:00", 9], [2, "2025-02-01 10:00", 3], [2, "2025-02-01 10:00", 3]]),
        name="responses.csv",
    )
    kept = read_export(responses)
    assert kept.mapping["response_id"] == "ID"
    assert kept.records["response_key"].tolist() == ["id:1", "id:2", "id:2"]


def test_a_column_named_recommend_holding_yes_no_codes_or_words_is_not_the_score(tmp_path):
    codes = [1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0]
    for name, values in (("codes.csv", codes), ("words.csv", ["Yes", "No", "Maybe"] * 4)):
        path = write(tmp_path, rows(["Timestamp", "Recommend"], dated([[v] for v in values])), name=name)
        with pytest.raises(ColumnError, match="no 0-10 likelihood-to-recommend column"):
            read_export(path)
    # A column named like a number keeps its rows (a bad cell is rejected, not the column).
    named = write(tmp_path, rows(["Timestamp", "Score"], dated([[v] for v in codes])), name="score.csv")
    assert read_export(named).records["score"].tolist() == codes


def test_na_written_by_r_is_no_answer_not_a_bad_score(tmp_path):
    path = write(tmp_path, rows(["Date", "nps"], dated([[9], ["NA"], [3], ["N/A"], ["#N/A"], ["ten"]])))
    parsed = read_export(path)
    assert parsed.records["score"].tolist() == [9, 3]
    assert [(issue.row, issue.outcome) for issue in parsed.issues] == [
        (3, "skipped"), (5, "skipped"), (6, "skipped"), (7, "rejected"),
    ]  # fmt: skip


def test_two_score_columns_holding_the_same_answers_are_not_ambiguous(tmp_path):
    path = write(tmp_path, rows(["Timestamp", "NPS", "NPS_Score"], dated([[s, s] for s in SCORES])))
    assert read_export(path).mapping["score"] == "NPS"


def test_the_mapping_says_why_a_better_named_time_column_was_passed_over(tmp_path):
    values = [["UTC-3", f"2025-03-{i + 1:02d}", s] for i, s in enumerate(SCORES)]
    parsed = read_export(write(tmp_path, rows(["Timestamp", "Date", "Score"], values)))
    assert parsed.mapping["submitted_at"] == "Date"
    assert parsed.mapping_reason["submitted_at"] == "values read as dates; not 'Timestamp': not dates"


def test_a_1_7_recommend_scale_is_refused_and_its_labels_read(tmp_path):
    """A Chilean school-style 1-7 question ('1. Muy poco probable' ... '7. Muy probable'): 7 is its top, so scored
    as NPS every top answer would be a passive."""
    labels = ["1. Muy poco probable", "3.", "4.", "5.", "6.", "7. Muy probable"] * 2
    question = "¿Qué tan probable es que recomiendes la Universidad a tus amigos?"
    path = write(tmp_path, rows(["Fecha", question], dated([[label] for label in labels])))
    with pytest.raises(ColumnError, match="looks like a 1-7 scale") as raised:
        read_export(path)
    assert "--no-scale-check" in raised.value.hint
    parsed = read_export(path, ReadOptions(scale_check=False))
    assert parsed.records["score"].tolist() == [1, 3, 4, 5, 6, 7] * 2


def test_a_workbook_whose_first_sheet_is_a_pivot_is_read_from_the_sheet_with_the_export(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    pivot = workbook.active
    pivot.title = "Summary"
    pivot.append(["Answer Choices", "Responses"])
    pivot.append(["Promoters", 8])
    data = workbook.create_sheet("Responses")
    data.append(["Submitted", "How likely are you to recommend us to a friend?"])
    for day, score in enumerate(SCORES, start=1):
        data.append([f"2025-03-{day:02d} 10:00", score])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    parsed = read_export(path)
    assert parsed.sheet == "Responses"
    assert parsed.records["score"].tolist() == SCORES
    with pytest.raises(ColumnError, match="no 0-10 likelihood-to-recommend column"):
        read_export(path, ReadOptions(sheet="Summary"))  # a sheet named by --sheet is the one read


def test_a_response_id_that_repeats_with_other_answers_is_still_one_response(tmp_path):
    """Two overlapping exports glued into one file, the response completed between them: one response."""
    header = ["ResponseId", "RecordedDate", "How likely are you to recommend us?"]
    path = write(tmp_path, rows(header, [["R_1", "2025-01-01 10:00", ""], ["R_1", "2025-01-01 10:05", 9]]))
    parsed = read_export(path)
    assert parsed.mapping["response_id"] == "ResponseId"
    assert parsed.records["response_key"].tolist() == ["id:R_1"]


def test_a_rating_under_a_header_that_only_resembles_a_site_is_not_the_location(tmp_path):
    """Seen on a real export: 'Custom Practice' held 1-5 ratings of a feature and became the location."""
    ratings = [5, 4, 3, 1, 2, 5, 4, 4, 5, 3, 2, 1]
    path = write(
        tmp_path,
        rows(
            ["Timestamp", "LikelyToRecommend", "Custom Practice"],
            dated([[s, r] for s, r in zip(SCORES, ratings, strict=True)]),
        ),
    )
    assert "location" not in read_export(path).mapping
    sites = ["North", "South", "East"] * 4
    named = write(
        tmp_path,
        rows(
            ["Timestamp", "LikelyToRecommend", "Practice name"],
            dated([[s, p] for s, p in zip(SCORES, sites, strict=True)]),
        ),
        "sites.csv",
    )
    assert read_export(named).mapping["location"] == "Practice name"
    coded = write(
        tmp_path,
        rows(
            ["Timestamp", "LikelyToRecommend", "Location"],
            dated([[s, r] for s, r in zip(SCORES, ratings, strict=True)]),
        ),
        "codes.csv",
    )
    assert read_export(coded).mapping["location"] == "Location"  # named exactly: numeric site codes stay


def test_a_multiple_choice_question_is_not_taken_for_the_comment(tmp_path):
    """Seen on real exports: Likert answers ('Strongly agree') under a header that reads like a comment."""
    likert = ["Strongly agree", "Agree", "Neutral", "Disagree"] * 6
    scores = (SCORES * 2)[:24]
    dates = [
        [f"2025-03-{index % 28 + 1:02d} 10:00:00", *line] for index, line in enumerate(zip(scores, likert, strict=True))
    ]
    path = write(tmp_path, rows(["Timestamp", "LikelyToRecommend", "Any comments on the statements below"], dates))
    assert "comment" not in read_export(path).mapping
    written = [f"the visit number {index} was {word}" for index, word in enumerate(likert)]
    dates = [
        [f"2025-03-{index % 28 + 1:02d} 10:00:00", *line]
        for index, line in enumerate(zip(scores, written, strict=True))
    ]
    free = write(
        tmp_path, rows(["Timestamp", "LikelyToRecommend", "Any comments on the statements below"], dates), "free.csv"
    )
    assert read_export(free).mapping["comment"] == "Any comments on the statements below"


def _feedback_export(csat_label: bool = True) -> str:
    """Shaped like a HubSpot feedback-submissions export (glass-castle/NPS `hubspot.csv`): one Rating column for
    every survey; NPS answers labelled in `NPS`, CSAT answers (coded 0/1/2) in `CSAT`."""
    group = {score: "Detractor" if score <= 6 else "Passive" if score <= 8 else "Promoter" for score in range(11)}
    csat = {0: "Negative", 1: "Neutral", 2: "Positive"}
    lines = [
        [f"R{index}", f"2025-06-{index + 1:02d} 13:12", score, "NPS - Bootcamp", group[score], ""]
        for index, score in enumerate(SCORES)
    ]
    lines += [
        [f"C{index}", f"2025-07-{index + 1:02d} 09:30", code, "Customer Support", "", csat[code] if csat_label else ""]
        for index, code in enumerate([2, 2, 1, 0, 2])
    ]
    return rows(["Record ID", "Date", "Rating", "Survey Name", "NPS", "CSAT"], lines)


def test_other_surveys_ratings_in_a_feedback_export_are_excluded_not_scored(tmp_path):
    """Scoring the CSAT codes 0-2 as NPS answers made five detractors out of nothing (the real file: NPS 10.0
    where its NPS answers give 25.7)."""
    parsed = read_export(write(tmp_path, _feedback_export()))
    assert parsed.mapping["score"] == "Rating"
    assert parsed.records["score"].tolist() == SCORES
    excluded = [issue for issue in parsed.issues if issue.outcome == "excluded"]
    assert [issue.row for issue in excluded] == list(range(len(SCORES) + 2, len(SCORES) + 7))
    assert {issue.reason for issue in excluded} == {"another survey's rating (CSAT is filled, NPS is blank)"}
    assert parsed.rows_read == len(parsed.records) + len(excluded)
    assert (
        "rows with 'NPS' blank and 'CSAT' filled are another survey's ratings, excluded"
        in parsed.mapping_reason["score"]
    )


def test_a_blank_nps_label_alone_excludes_nothing(tmp_path):
    """Without a second label column filled on just those rows, a blank label says nothing: every rating counts."""
    parsed = read_export(write(tmp_path, _feedback_export(csat_label=False)))
    assert parsed.records["score"].tolist() == [*SCORES, 2, 2, 1, 0, 2]
    assert parsed.issues == []


def test_labels_that_disagree_with_the_scores_do_not_mark_surveys(tmp_path):
    """A label column that is not the scores' NPS group (here shifted by one row) is no survey marker."""
    text = _feedback_export()
    lines = text.splitlines()
    header, body = lines[0], [line.split(",") for line in lines[1:]]
    labels = [line[4] for line in body[: len(SCORES)]]
    for line, label in zip(body[: len(SCORES)], labels[1:] + labels[:1], strict=True):
        line[4] = label
    parsed = read_export(write(tmp_path, "\n".join([header, *(",".join(line) for line in body)]) + "\n"))
    assert len(parsed.records) == len(SCORES) + 5
    assert [issue for issue in parsed.issues if issue.outcome == "excluded"] == []


def test_a_microsoft_forms_response_is_dated_when_it_was_completed(tmp_path):
    """Microsoft Forms: ID, Start time, Completion time, Email, Name, Last modified time, then the questions. Each
    names a time in one short word ("time"), so the first, Start time, was taken; the submission is Completion."""
    header = ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time",
              "How likely are you to recommend us to a friend or colleague?"]  # fmt: skip
    lines = [
        [index + 1, f"3/{index + 1}/25 9:58:01", f"3/{index + 1}/25 10:02:{index:02d}", "anonymous", "", "", score]
        for index, score in enumerate(SCORES)
    ]
    parsed = read_export(write(tmp_path, rows(header, lines)))
    assert parsed.mapping["submitted_at"] == "Completion time"
    assert parsed.records["submitted_at"].iloc[1] == pd.Timestamp("2025-03-02 10:02:01")


def test_a_time_under_a_surveys_variable_name_is_found_by_its_written_dates(tmp_path):
    # R's survey files name questions "Qtime", "Qyear_born", ...: "Qtime" holds ISO times, the year a number
    times = [f"2020-12-{i + 1:02d}T09:07:17Z" for i in range(len(SCORES))]
    values = [[t, 1980 + i, s] for i, (t, s) in enumerate(zip(times, SCORES, strict=True))]
    path = write(tmp_path, rows(["Qtime", "Qyear_born", "Qrecommend"], values))
    parsed = read_export(path)
    assert parsed.mapping["submitted_at"] == "Qtime"
    assert "its values are dates" in parsed.mapping_reason["submitted_at"]
    assert parsed.records["local_date"].iloc[0] == "2020-12-01"


@pytest.mark.parametrize(
    ("header", "column"),
    [
        (["Qtime", "Qdate_end", "Qrecommend"], None),  # two time-named columns of dates: which one is a guess
        (["Qtime_zone", "Qother", "Qrecommend"], None),  # a time zone, ruled out by name as the date rule does
        (["Qwhen", "Qother", "Qrecommend"], None),  # no time word in the name
    ],
)
def test_a_time_by_its_values_only_when_one_column_is_named_and_written_so(tmp_path, header, column):
    values = [[f"2020-12-{i + 1:02d} 09:07", f"2021-01-{i + 1:02d} 10:00", s] for i, s in enumerate(SCORES)]
    path = write(tmp_path, rows(header, values))
    with pytest.raises(ColumnError, match="no date/time column"):
        read_export(path)


def test_numbers_under_a_time_name_are_not_taken_for_dates(tmp_path):
    # seconds taken, or Excel-like serials: never a written date
    path = write(tmp_path, rows(["Qtime_taken", "Qrecommend"], [[40000 + i, s] for i, s in enumerate(SCORES)]))
    with pytest.raises(ColumnError, match="no date/time column"):
        read_export(path)
