"""Compute the NPS truth for the genuine exports in this folder, independently of npscli.

Run from anywhere:  python tests/data/real-exports/compute_truth.py
It rewrites truth.json next to this script. Nothing from npscli is imported: each file is read with
pandas/openpyxl directly, with the settings written out per file below (column, header rows, encoding).

Rules (the same for every file):
- an answer counts when it parses as a whole number 0-10; for a labelled answer ("10 - Extremely likely",
  "10    (Extremely Likely)") the leading number counts; floats such as "9.0" from a spreadsheet count as 9;
- blanks are left out of n; any other text ("*redacted*", "N/A") is left out and reported in the notes;
- promoters 9-10, passives 7-8, detractors 0-6, NPS = 100 * (P - D) / n, rounded to 2 places;
- rows identical in every cell are one response downloaded twice and count once when the file has a response
  id or a timestamp column; when it has neither, both figures are worked out (all rows, identical rows once)
  and the entry says which one is used and why.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
LEADING = re.compile(r"^\s*(\d+)(\.\d+)?(?![\w.]|,\d)")

# One entry per file. Keys:
#   file, score_column (header text exactly as in the file), read (kwargs for pandas), header_rows_skipped
#   (extra rows under the header that are not responses), has_ids / has_dates, dedupe ("yes": identical rows
#   count once; "no": every row counts), notes.
CNCF_RECOMMEND = (
    "Would you recommend CNCF to other open source projects, and why?10 - strongly agree, 1 - strongly disagree."
)

FILES: list[dict] = [
    {
        "file": "googleforms_brands_fr.csv",
        "score_column": "Dans quelle mesure, êtes-vous prêt(e)  à recommander cette marque auprès de vos proches ? ",
        "read": {"encoding": "utf-8"},
        "has_ids": False,
        "has_dates": True,
        "notes": "French Google Forms export (Horodateur dd/mm/yyyy hh:mm:ss). The header has a double space and"
        " a trailing space. Each response rates one brand (Chanel, Dior, Total...), so this is the NPS over all"
        " brand ratings.",
    },
    {
        "file": "hubspot_googleforms_careers_en.csv",
        "score_column": "How likely are you to recommend the Makers Academy Careers Team to future cohorts?",
        "read": {"encoding": "utf-8"},
        "has_ids": True,
        "has_dates": True,
        "notes": "A form export joined with HubSpot contacts. A column named exactly 'NPS' holds the text labels"
        " Promoter/Passive/Detractor (blank on 370 rows), not scores: it must not be taken as the score. The"
        " repository owner redacted 348 score cells as '*redacted*' (and the same rows' job fields); they are"
        " not answers and are left out.",
    },
    {
        "file": "googleforms_workshop_en.csv",
        "score_column": "How likely are you to recommend this workshop to your friends and family",
        "read": {"encoding": "utf-8"},
        "has_ids": False,
        "has_dates": True,
        "notes": "Google Forms export (Timestamp M/D/YYYY H:MM:SS) of an RStudio two-day workshop. The last line is"
        " not a response: every cell is blank except the rstudio.cloud column, which holds 4.7 (an average"
        " someone typed into the sheet). Different respondents share a timestamp to the second"
        " (data rows 24 and 25 both 10/14/2019 17:04:27 with score 10, same session; data rows 29 and 30,"
        " 17:04:42, both score 6), so matching on time + score merges different"
        " people. Three 1-5 'How satisfied' columns precede the score.",
    },
    {
        "file": "indico_postworkshop_recommend_yesno_en.csv",
        "refuse": True,
        "recommend_column": (
            "Impact of the workshop: Would you recommend your colleagues to attend a CodeRefinery workshop?"
        ),
        "read": {"encoding": "utf-8-sig"},
        "reason": "Indico survey export (UTF-8 BOM; empty Submitter and Submitter Email columns; Submission Date"
        " with microseconds and +00:00) of the CodeRefinery post-workshop survey. Its only recommend question"
        " is categorical ('Yes absolutely' 99, 'Probably' 8), not a 0-10 likelihood; the other questions are"
        " Yes/No or multi-select text.",
    },
    {
        "file": "qld_tafe_exit_recommend_yesno_en.csv",
        "refuse": True,
        "recommend_column": "Workplace. Topic:Would you recommend the Institute as an employer to others?",
        "read": {"encoding": "cp1252"},
        "reason": "Queensland TAFE employee exit survey (open data). Not UTF-8 but cp1252: 0x96 (en dash)"
        " 336 times in answers (age bands like '26 \x96 30') and 0xA0 (no-break space) 20 times, four of them in"
        " the 'Main Factor' header; Latin-1 decodes without error but turns the dashes into control characters."
        " The only recommend question is Yes/No (Yes 416, No 165, blank 121) and the opinion items are"
        " Agree/Disagree text; 'Record ID' is an 18-digit number.",
    },
    {
        "file": "nhs_fft_gp_recommend_5point_en.csv",
        "refuse": True,
        "recommend_column": "rating",
        "read": {"encoding": "utf-8"},
        "reason": "NHS Friends and Family Test responses from GP surgeries (free text anonymised by the publisher,"
        " names replaced by PERSON). The recommend question is the FFT 5-point scale in words (Extremely likely"
        " ... Extremely unlikely, plus Don't know) and 'rating_score' holds it as 1.0-5.0: a 1-5 recommend"
        " question, not a 0-10 one, so it must not be scored as NPS.",
    },
    {
        "file": "surveymonkey_cncf_maintainers_2020h2_en.csv",
        "score_column": CNCF_RECOMMEND,
        "read": {"encoding": "utf-8"},
        "header_rows_skipped": 1,
        "has_ids": True,
        "has_dates": False,
        "notes": "SurveyMonkey CSV export, two header rows: the question, then a sub-header ('Response',"
        " 'Open-Ended Response', 'Why?', or the option text of a multi-select whose first header cell is the"
        " question and the rest blank). Respondent ID and Collector ID, no dates. The recommend question is asked"
        " on a 1-10 agree scale whose anchors are glued to the header ('...and why?10 - strongly agree, 1 -"
        " strongly disagree.'); three other 1-10 columns follow it (DevStats, Landscape, Tech Radar 'valuable'"
        " questions), so content alone cannot choose. CRLF.",
    },
    {
        "file": "surveymonkey_cncf_ambassadors_2021_en.csv",
        "score_column": CNCF_RECOMMEND,
        "read": {"encoding": "utf-8"},
        "header_rows_skipped": 1,
        "has_ids": True,
        "has_dates": True,
        "notes": "SurveyMonkey CSV export, two header rows (second: 'Response' / 'Open-Ended Response'). Respondent"
        " ID, Collector ID, Start Date, End Date (MM/DD/YYYY hh:mm:ss AM/PM). Recommend question on a 1-10 agree"
        " scale with the anchors glued to the header. CRLF.",
    },
    {
        "file": "surveymonkey_cncf_maintainers_2023h1_noid_en.csv",
        "score_column": "Would you recommend CNCF to other open source projects, and why?",
        "read": {"encoding": "utf-8"},
        "header_rows_skipped": 1,
        "has_ids": False,
        "has_dates": False,
        "notes": "SurveyMonkey CSV export with the metadata columns removed by the publisher: two header rows, no"
        " respondent id, no collector id, no dates. Recommend question on a 1-10 scale (no 0 occurs). CRLF.",
    },
    {
        "file": "surveymonkey_cncf_maintainers_2022h1_tworecommend_en.csv",
        "refuse": True,
        "recommend_column": CNCF_RECOMMEND,
        "ambiguous_positions": [21, 111],
        "read": {"encoding": "utf-8"},
        "header_rows_skipped": 1,
        "reason": "SurveyMonkey CSV export with two columns under the identical header 'Would you recommend CNCF to"
        " other open source projects, and why?10 - strongly agree, 1 - strongly disagree.' (file columns 22 and"
        " 112, both 1-10, different answers; pandas names the second '...disagree..1'). The two blank-headed first"
        " columns hold nothing (ids removed); no dates. Genuinely ambiguous: refuse naming both columns and the"
        " --map that chooses (the figures for each are under 'alternatives').",
    },
    {
        "file": "surveymonkey_cncf_members_recommend_yesno_en.csv",
        "refuse": True,
        "recommend_column": "Would you recommend CNCF membership to other companies?",
        "read": {"encoding": "utf-8"},
        "header_rows_skipped": 1,
        "reason": "SurveyMonkey CSV export (two header rows, no ids, no dates, 150 responses of which 2 are"
        " identical rows). The only recommend question is Yes/No; the other questions are worded scales (Very"
        " well ... Poorly) and multi-selects.",
    },
    {
        "file": "surveymonkey_udla_recommend_1to7_es.xlsx",
        "refuse": True,
        "recommend_column": (
            'Considerando tu experiencia en Universidad de Las Américas, en una escala de 1 a 7, en que 1 es "muy'
            ' poco probable" y 7 "muy probable".¿Qué tan probable es que recomiendes la Universidad a tus'
            " familiares y/o amigos?"
        ),
        "read": {"sheet_name": "Sheet"},
        "header_rows_skipped": 1,
        "reason": "SurveyMonkey XLSX export in Spanish (API-style metadata columns respondent_id, collector_id,"
        " date_created, date_modified, ip_address, email_address, first_name, last_name, custom_1; second header"
        " row 'Response'). The workbook's first sheet 'Hoja1' is a pivot someone added (Answer Choices /"
        " Responses), the data are on the second sheet 'Sheet'. The recommend question is asked on a 1-7 scale"
        " (the Chilean school scale), answers labelled '1. Muy poco probable', '2.' ... '6.', '7. Muy probable':"
        " the leading numbers parse, but 7 is the top of the scale, so scoring it as NPS would make every top"
        " answer a passive. Every other question uses the same 1-7 labels.",
    },
    {
        "file": "typeform_training_en.csv",
        "score_column": "How likely is it that you would recommend this training?",
        "read": {"encoding": "utf-8"},
        "has_ids": False,
        "has_dates": False,
        "notes": "Typeform CSV export of training feedback (the owner's 'sample-data.csv'; the metadata columns #,"
        " Start/Submit Date and Network ID were not kept). A header holds Typeform's answer piping"
        " ('Thanks {{field:923854f7-...}}. What role do you play in your company?'); eight 1-5 rating columns whose"
        " headers start with '...'; the recommend column is the last one. Respondents' names in the first column"
        " were redacted (non-blank cells replaced by 'redacted', all other bytes unchanged). LF endings.",
    },
    {
        "file": "carpentries_instructor_training_post_en.csv",
        "score_column": "LikelyToRecommend",
        "read": {"encoding": "utf-8"},
        "has_ids": False,
        "has_dates": True,
        "notes": "The Carpentries' instructor-training post-survey, cleaned by the publisher (short CamelCase field"
        " names). 'Recommend' is an agree scale (Strongly Agree ... Strongly Disagree, 667 answers, 300 blank),"
        " not the score: a header match on 'Recommend' picks the wrong column; the score is 'LikelyToRecommend'"
        " (1-10 as observed, no 0). 'Date' is M/D/YY H:MM (two-digit year, to the minute; up to 7 respondents"
        " share a minute). 'UniqueID' is a self-chosen code filled on 232 rows and blank on 735, so it is not a"
        " response id; 'Workshop ID' mostly blank. CRLF, no final newline.",
    },
    {
        "file": "carpentries_carpentrycon_2020_timezone_en.csv",
        "score_column": "nps",
        "read": {"encoding": "utf-8"},
        "has_ids": False,
        "has_dates": False,
        "notes": "CarpentryCon@Home 2020 session feedback (the publisher's 'raw' file with renamed columns). A"
        " 'time_zone' column ('UTC+2', 'UTC-5', 'UTC') is not a date and there is no date or id column. The score"
        " column is named 'nps'. Fourteen other columns are small integers (1-5 ratings, 1-6 agree scales with a"
        " stray 0 in presenters_clear, a 1-3 'satisfaction_session_length'). One session title is mojibake in the"
        " file itself ('\u00c2\u00a1Traduciendo!', UTF-8 of '\u00a1' read as Latin-1 and re-encoded). CRLF,"
        " no final newline.",
    },
    {
        "file": "carpentries_longterm_2017_en.csv",
        "score_column": "Likely-To-Recommend",
        "read": {"encoding": "utf-8"},
        "has_ids": False,
        "has_dates": False,
        "dedupe_reason": "The identical pair has a blank score, so both readings give the same figures.",
        "notes": "The Carpentries' long-term learner survey (October 2017 archive). The column before the score,"
        " 'Recommended', holds 'Yes.', 'No.', \"I don't remember.\" (have you recommended a workshop); the score"
        " is 'Likely-To-Recommend', 0-10 (0 occurs). Multi-select and 'Other' columns are headed 'Column2' ..."
        " 'Column58'. No id and no date. LF endings.",
    },
    {
        "file": "rstudio_googleforms_2018_en.tsv",
        "score_column": "How likely are you to recommend R to a colleague, friend, or family member?",
        "read": {"encoding": "utf-8", "sep": "\t"},
        "has_ids": False,
        "has_dates": True,
        "notes": "Google Forms responses downloaded as TSV (RStudio Learning R survey, December 2018, English)."
        " 'Timestamp' M/D/YYYY H:MM:SS; up to 3 respondents share a second. One column has an empty header"
        " (pandas 'Unnamed: 27') and no values. Long free-text answers, check-all-that-apply answers joined with"
        " ', '. The only recommend question (answers 1-10, no 0 occurs); other numeric columns are three 1-5"
        " scales, two years (first learned R, born) and a count of people one talks to weekly, mostly 0-10 (a trap"
        " for a chooser that looks at content alone). CRLF, no final newline.",
    },
    {
        "file": "rstudio_googleforms_2018_es.tsv",
        "score_column": "¿Qué tan probable es que recomiendes R a un colega, amiga/o o un familiar?",
        "read": {"encoding": "utf-8", "sep": "\t"},
        "has_ids": False,
        "has_dates": True,
        "notes": "Google Forms responses downloaded as TSV (Spanish version of the 2018 survey): Spanish question"
        " text, English 'Timestamp' M/D/YYYY H:MM:SS, one question left in English, an empty header ('Unnamed:"
        " 27', no values), a count-of-people column mostly 0-10 as in the English file, and a last column 'Email"
        " Address' whose 56 non-blank cells were redacted to redacted@example.org (every other byte is the"
        " original's). CRLF, no final newline.",
    },
    {
        "file": "rstudio_googleforms_2019_tworecommend_en.xlsx",
        "refuse": True,
        "recommend_column": "How likely are you to recommend R to a colleague, friend, or family member?",
        "ambiguous_positions": [18, 37],
        "ambiguous_headers": [
            "How likely are you to recommend R to a colleague, friend, or family member?",
            "How likely are you to recommend Python to a colleague, friend, or family member?",
        ],
        "read": {},
        "has_ids": False,
        "has_dates": True,
        "reason": "Google Forms responses downloaded as XLSX (sheet 'Form Responses 1'; 'Timestamp' is a real Excel"
        " datetime with milliseconds). Two 0-10 recommend questions: R (file column 19, asked of everyone) and"
        " Python (file column 38, blank for the 823 who skipped the Python block). The issue allows either"
        " refusing, naming both and the --map that chooses, or taking the first (R) and saying so on the mapping"
        " line: the figures for each are under 'alternatives', the first is the R column. The same responses as"
        " CSV in the repository have 3 identical rows (the CSV's timestamps stop at the second); here the"
        " milliseconds differ, so no two rows are identical.",
    },
    {
        "file": "rstudio_googleforms_2019_tworecommend_es.csv",
        "refuse": True,
        "recommend_column": "¿Qué tan probable es que recomiendes R a un colega, amiga/o o un familiar?",
        "ambiguous_positions": [18, 37],
        "ambiguous_headers": [
            "¿Qué tan probable es que recomiendes R a un colega, amiga/o o un familiar?",
            "¿Qué tan probable es que recomiendes Python a un colega, amiga/o o un familiar?",
        ],
        "read": {"encoding": "utf-8"},
        "has_ids": False,
        "has_dates": True,
        "reason": "Google Forms responses downloaded as CSV (Spanish version of the 2019 survey; 'Timestamp'"
        " M/D/YYYY H:MM:SS). Two 0-10 recommend questions in Spanish: R (file column 19) and Python (file column 38,"
        " blank for the 174 who skipped it). Refuse naming both and the --map that chooses, or take the first (R)"
        " and say so; the figures for each are under 'alternatives', the first is the R column. CRLF records with"
        " bare-LF newlines inside quoted answers; no final newline.",
    },
    {
        "file": "sb427_nps_latin1_fr.csv",
        "score_column": "nps",
        "read": {"encoding": "latin-1"},
        "has_ids": True,
        "has_dates": False,
        "notes": "A plain CSV written by R (write.csv: a quoted row-number column with an empty header, 'NA' for"
        " missing) of a French garden-centre chain's customer survey, the SB427 file of the dev set's SOURCES.md."
        " Not UTF-8: mostly Latin-1 (0xE9 for e-acute) with CP850 bytes mixed in (0x82 for e-acute, 0x90), so a"
        " strict cp1252 decode fails and Latin-1 reads every byte (the numbers are ASCII either way). 'nps' holds"
        " 1-10 (no 0) and 'NA'; 'satisfaction' and 'intention' are 1-10 columns too and must not be chosen; 't'"
        " is an undocumented 0-17 integer (mostly 0-10), 'CaTicket' a money amount. 'id' is unique; no date."
        " 25 'explication' cells were redacted (3 holding respondents' e-mail addresses, now"
        " 'redacted@example.org'; 22 signed with a respondent's name, one with a phone number, now 'redacted');"
        " every other byte is the original's. 'NA' scores are text, left out of n. CRLF.",
    },
    {
        "file": "plain_nps_pesquisa_pt.csv",
        "score_column": "Nota",
        "read": {"encoding": "utf-8"},
        "has_ids": False,
        "has_dates": False,
        "dedupe_reason": "The identical rows are a score with a blank or one-word comment ('10,,Promoters' and the"
        " like: 403 of them have no comment, 23 say 'ok'), which different respondents give all the time; with no"
        " id or date nothing says they are one response twice, so all rows count.",
        "notes": "A company's NPS survey answers 2018-2020 (Brazilian school-meals software, company names removed by"
        " the publisher), three columns 'Nota,Resposta,Perfil': the score's header is only 'Nota' (Portuguese for"
        " 'score', no recommend wording), 'Perfil' holds the owner's labels Promoters/Passives/Detractors (one row,"
        " data row 1109, is labelled Promoters with a 6: the label column is not the truth). No id, no date. LF"
        " endings, quoted comments with newlines. Two comments signed by respondents (a name and a school) were"
        " redacted to 'redacted'; a staff member praised by name remains.",
    },
    {
        "file": "surveymonkey_cncf_maintainers_2021h1_nometadata_en.csv",
        "score_column": CNCF_RECOMMEND,
        "read": {"encoding": "utf-8"},
        "header_rows_skipped": 1,
        "has_ids": False,
        "has_dates": False,
        "notes": "SurveyMonkey CSV export whose metadata columns the publisher emptied: the first twelve header"
        " cells are blank on both header rows and in every data row (no respondent id, collector id or dates)."
        " So every question carries a label in row 2 ('Response', 'Open-Ended Response', or a multi-select's"
        " options: Kubernetes, Prometheus, ... under the blank header cells after 'Which CNCF project(s) are you"
        " maintaining?'); no blank label stands under a named metadata column, which is how the other CNCF files"
        " show their second header row. The recommend question is on the 1-10 agree scale with the anchors glued"
        " to the header, followed by three more 1-10 'valuable' questions. CRLF, no final newline.",
    },
    {
        "file": "carpentries_longterm_2020_na_en.csv",
        "score_column": "recommendation_score",
        "read": {"encoding": "utf-8"},
        "has_ids": False,
        "has_dates": False,
        "dedupe_reason": "Every identical row is a respondent who stopped at the first question (all cells 'NA'"
        " but first_survey_take), so both readings give the same figures.",
        "notes": "The Carpentries' long-term learner survey of March 2020, the publisher's 'other questions, no"
        " open answers' extract (snake_case columns). 'has_recommended' (Yes/No/I don't remember: have you"
        " recommended a workshop) stands right before the score 'recommendation_score' (3-10 as observed). R's"
        " 'NA' string fills every unanswered cell: 42 scores are 'NA', left out as text. No id and no date;"
        " 'workshop_attended_amount' holds 1-2. LF endings.",
    },
    {
        "file": "rstudio_2020_tworecommend_es.tsv",
        "refuse": True,
        "recommend_column": "Qrecommend",
        "ambiguous_positions": [15, 36],
        "ambiguous_headers": ["Qrecommend", "Qpython_recommend"],
        "read": {"encoding": "utf-8", "sep": "\t", "na_values": ["NA"]},  # R's NA: no answer, as a blank
        "has_ids": False,
        "has_dates": True,
        "reason": "The RStudio 2020 R community survey, Spanish form, as the publisher saved it: Google Forms"
        " responses with the questions renamed to short variable names (Qtime, Qr_experience, ... Qrecommend,"
        " Qpython_recommend; the question wording is not in the file). Two 0-10 recommend questions, R"
        " ('Qrecommend', file column 16) and Python ('Qpython_recommend', file column 37, 'NA' for the 279 who"
        " skipped it), as in the 2019 files: refuse naming both and the --map that chooses, or take the first (R)"
        " and say so; the figures for each are under 'alternatives', the first is R. 'Qtime' holds ISO-8601"
        " UTC timestamps ('2020-12-11T09:07:17Z'), under a name no date rule knows. R's 'NA' in unanswered"
        " cells; quoted answers with newlines; LF endings.",
    },
    {
        "file": "surveymonkey_cncf_cloudnative_2019_recommend_worded_en.csv",
        "refuse": True,
        "recommend_column": "How likely would you be to recommend CNCF technologies?",
        "read": {"encoding": "utf-8"},
        "header_rows_skipped": 1,
        "reason": "cncf/surveys' Cloud Native Survey 2019, a SurveyMonkey CSV export with the metadata columns removed"
        " by the publisher (two header rows, no ids, no dates, 1,337 responses). The recommend question (file column"
        " 412) is a worded 7-point scale (Absolutely, Very Likely, Somewhat Likely, Neither Likely nor Unlikely,"
        " Somewhat Unlikely, Very Unlikely with a no-break space, Never), not 0-10; the five matrix columns after it"
        " hold 1-5. Row 2 labels a numbered text-box question's options '1' ... '5' (file columns 421-425), which a"
        " reader must not take for a response row: npscli read the file as a plain table headed by its label row"
        " until branch rx3.",
    },
    {
        "file": "googleforms_spack_2021_recommend_categorical_en.csv",
        "refuse": True,
        "recommend_column": (
            "If there were a software foundation (ala Linux Foundation or CNCF) around Spack would it make you more"
            " likely to use/recommend Spack?"
        ),
        "read": {"encoding": "utf-8-sig"},
        "reason": "The Spack user survey 2021, Google Forms responses as CSV (UTF-8 BOM, 'Timestamp' M/D/YYYY"
        " H:MM:SS, 179 responses). The only question speaking of recommending ('... would it make you more likely to"
        " use/recommend Spack?') is categorical (Probably, Probably not, Yes, definitely!, No); four 'How would you"
        " rate the overall quality of ...' columns hold 1-5 and fifteen ranking columns small integers.",
    },
]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == ""


def parse_score(value: object) -> int | None:
    """The 0-10 whole number an answer holds, or None (blank, text, out of range)."""
    if value is None:
        return None
    if isinstance(value, float):
        if pd.isna(value) or not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int):
        return value if 0 <= value <= 10 else None
    text = str(value).strip()
    if not text:
        return None
    m = LEADING.match(text)
    if not m or (m.group(2) and m.group(2).strip(".0")):
        return None
    number = int(m.group(1))
    return number if 0 <= number <= 10 else None


def read(entry: dict) -> pd.DataFrame:
    path = HERE / entry["file"]
    opts = dict(entry.get("read", {}))
    if path.suffix.lower() in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype=object, engine="openpyxl", **opts)
    opts.setdefault("dtype", str)
    opts.setdefault("keep_default_na", False)
    return pd.read_csv(path, **opts)


def tally(scores: pd.Series) -> dict:
    parsed = [parse_score(v) for v in scores]
    nums = [s for s in parsed if s is not None]
    n = len(nums)
    p = sum(1 for s in nums if s >= 9)
    pa = sum(1 for s in nums if 7 <= s <= 8)
    d = sum(1 for s in nums if s <= 6)
    blank = sum(1 for v in scores if v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() == "")
    other = len(scores) - n - blank
    return {
        "n": n,
        "promoters": p,
        "passives": pa,
        "detractors": d,
        "nps": round(100 * (p - d) / n, 2) if n else None,
        "blank": blank,
        "unparsed": other,
    }


RECOMMEND_WORDS = re.compile(
    r"recommend|likel|nps|promoter|recomiend|recomend|recommand|empfehl|aanbevel|raccomand|consigli|indica",
    re.IGNORECASE,
)


def looks_like_0_10(series: pd.Series) -> bool:
    """Nine in ten answers are whole numbers 0-10, more than five distinct values, some 8 or above."""
    answers = [v for v in series if not _blank(v)]
    scores = [s for s in map(parse_score, answers) if s is not None]
    return len(set(scores)) > 5 and max(scores) >= 8 and len(scores) >= 0.9 * len(answers)


def refusal_reason(entry: dict, df: pd.DataFrame) -> str:
    """The entry's reason, checked against the file: no column whose header speaks of recommending (in any of
    the languages npscli must read) holds a 0-10 scale. Other columns that do hold small integers are named,
    as traps for a chooser that looks at content alone."""
    col = entry["recommend_column"]
    if col not in df.columns:
        raise SystemExit(f"{entry['file']}: no column {col!r}")
    values = sorted({str(v).strip() for v in df[col] if not _blank(v)})
    others = []
    for other in df.columns:
        if not looks_like_0_10(df[other]):
            continue
        if RECOMMEND_WORDS.search(str(other)):
            raise SystemExit(f"{entry['file']}: column {other!r} is a 0-10 recommend question; not a refusal")
        others.append(str(other))
    reason = f"{entry['reason']} The recommend column {col!r} holds only {values}; no recommend column holds 0-10."
    if others:
        reason += f" Columns of small whole numbers that are not recommend questions: {others}."
    return reason


def ambiguous(entry: dict, df: pd.DataFrame) -> dict:
    """Two columns are equally good recommend questions: the file is refused, with the figures for each column
    (by 0-based position) for the --map that chooses one."""
    headers = [str(df.columns[i]) for i in entry["ambiguous_positions"]]
    if "ambiguous_headers" in entry:
        # two different recommend questions (R and Python): each position must hold the header given
        if headers != entry["ambiguous_headers"]:
            raise SystemExit(f"{entry['file']}: the columns at {entry['ambiguous_positions']} are {headers}")
    elif len({h.removesuffix(".1") for h in headers}) != 1 or not headers[0] == entry["recommend_column"]:
        raise SystemExit(f"{entry['file']}: the columns at {entry['ambiguous_positions']} do not share the header")
    if entry.get("has_ids") or entry.get("has_dates"):
        df = df.drop_duplicates(keep="first")
    alternatives = []
    for pos in entry["ambiguous_positions"]:
        t = tally(df.iloc[:, pos])
        if not looks_like_0_10(df.iloc[:, pos]):
            raise SystemExit(f"{entry['file']}: column {pos} does not hold a 0-10 scale")
        t.pop("unparsed")
        alternatives.append({"column_position": pos, "column_number": pos + 1, **t})
    return {"file": entry["file"], "refuse": True, "reason": entry["reason"], "alternatives": alternatives}


def main() -> None:
    truth = []
    for entry in FILES:
        df = read(entry)
        skip = entry.get("header_rows_skipped", 0)
        if skip:
            df = df.iloc[skip:].reset_index(drop=True)
        if entry.get("ambiguous_positions"):
            truth.append(ambiguous(entry, df))
            continue
        if entry.get("refuse"):
            truth.append({"file": entry["file"], "refuse": True, "reason": refusal_reason(entry, df)})
            continue
        col = entry["score_column"]
        if col not in df.columns:
            raise SystemExit(f"{entry['file']}: no column {col!r}")
        # identical in every cell (NaN equal to NaN, as pandas' duplicated treats them)
        identical = int(df.duplicated(keep="first").sum())
        all_rows = tally(df[col])
        once = tally(df.drop_duplicates(keep="first")[col])
        dedupe = entry["has_ids"] or entry["has_dates"]
        chosen = once if dedupe else all_rows
        notes = entry["notes"]
        notes += f" Data rows: {len(df)}; blank answers: {all_rows['blank']}; other text: {all_rows['unparsed']}."
        if not dedupe and not identical:
            notes += " No id and no timestamp, but no two rows are identical: all rows and identical-rows-once agree."
        if identical:
            if dedupe:
                notes += (
                    f" {identical} rows are identical in every cell to an earlier row and count once"
                    f" (all rows would give n={all_rows['n']}, NPS={all_rows['nps']})."
                )
            else:
                notes += (
                    f" No id and no timestamp: {identical} rows are identical in every cell to an earlier row."
                    f" All rows: n={all_rows['n']}, P={all_rows['promoters']}, Pa={all_rows['passives']},"
                    f" D={all_rows['detractors']}, NPS={all_rows['nps']}; identical rows once: n={once['n']},"
                    f" P={once['promoters']}, Pa={once['passives']}, D={once['detractors']}, NPS={once['nps']}."
                    f" {entry.get('dedupe_reason', '')}"
                )
        truth.append(
            {
                "file": entry["file"],
                "score_column": col,
                "n": chosen["n"],
                "promoters": chosen["promoters"],
                "passives": chosen["passives"],
                "detractors": chosen["detractors"],
                "nps": chosen["nps"],
                "refuse": False,
                "has_dates": entry["has_dates"],
                "identical_rows": identical,
                "notes": notes.strip(),
            }
        )
    out = HERE / "truth.json"
    out.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for t in truth:
        if t["refuse"]:
            print(f"{t['file']}: refuse ({t['reason'][:60]})")
        else:
            print(
                f"{t['file']}: n={t['n']} P={t['promoters']} Pa={t['passives']} D={t['detractors']}"
                f" NPS={t['nps']} identical={t['identical_rows']}"
            )


if __name__ == "__main__":
    main()
