"""Measure the packaged theme matcher on the held-back real comments and on the synthetic labelled set.

    .venv/bin/python scripts/eval_themes.py            # Markdown tables on stdout
    .venv/bin/python scripts/eval_themes.py --misses 20 # and the first misses per theme on stderr
    .venv/bin/python scripts/eval_themes.py --external  # the external set (Care Opinion), from the mirror
    .venv/bin/python scripts/eval_themes.py --us-clinic  # a US clinic's patients, Spanish and English (mirror)

Held-back real comments: ``tests/data/real_comments_heldback.csv`` (written by ``scripts/train_themes.py``;
what was held back and how: ``scripts/themes_data.py`` and docs/themes-accuracy.md). The matcher never saw them.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELD_BACK = ROOT / "tests" / "data" / "real_comments_heldback.csv"
SYNTHETIC = ROOT / "tests" / "data" / "comments_labelled.csv"
# Real comments translated into Spanish (their labels kept): "heldback" from the held-back part, "dev" from the
# training part (read while writing scripts/spanish_words.py).
TRANSLATED = ROOT / "tests" / "data" / "real_comments_es_translated.csv"
# Comments of the patients of a US community clinic, from its Spanish and its English survey (a SurveyMonkey
# export published in github.com/ek-diaz/ANS_Proyect, no licence stated: read from a mirror, never copied
# here), labelled by hand with npscli's themes: respondent id, survey language, part (Spanish dev: read while
# adding Spanish words; heldback, and all of English: not read for any change), whether the comment raises a
# concern at all, and its themes.
US_CLINIC_LABELS = ROOT / "tests" / "data" / "us_clinic_labels.csv"
US_CLINIC_MIRROR = Path("/work/.mirror/ek-diaz+ANS_Proyect/repo")
US_CLINIC_SOURCE = "9ddd0ed83788a10c78b39037e1c97c92c72b22f9:Datos y código/Short Patient Survey.csv"
REAL_THEMES = ("wait_time", "scheduling", "staff", "communication", "facility", "parking", "clinical", "phone")


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def score(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else math.nan
    recall = tp / (tp + fn) if tp + fn else math.nan
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"support": tp + fn, "predicted": tp + fp, "precision": precision, "recall": recall, "f1": f1}


def evaluate(taxonomy, rows: list[dict[str, str]], text: str = "comment", themes: str = "themes") -> dict:
    """Per-theme and micro scores; every theme the matcher found counts, labelled or not (billing on NHS data
    is a false positive like any other)."""
    tp, fp, fn = Counter(), Counter(), Counter()
    misses: dict[str, list[tuple[str, str, list[str]]]] = {}
    for row in rows:
        gold = set(filter(None, row[themes].split(";")))
        found = set(taxonomy.match(row[text]))
        tp.update(gold & found)
        fp.update(found - gold)
        fn.update(gold - found)
        for code in gold ^ found:
            misses.setdefault(code, []).append(("FN" if code in gold else "FP", row[text], sorted(found)))
    codes = sorted(set(tp) | set(fp) | set(fn), key=lambda c: (taxonomy.codes.index(c), c))
    per_theme = {code: score(tp[code], fp[code], fn[code]) for code in codes}
    micro = score(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return {"themes": per_theme, "micro": micro, "comments": len(rows), "misses": misses}


def fmt(value: float) -> str:
    return "–" if isinstance(value, float) and math.isnan(value) else f"{value:.2f}"


def table(result: dict) -> str:
    lines = ["| theme | support | found | precision | recall | F1 |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for code, got in result["themes"].items():
        lines.append(
            f"| `{code}` | {got['support']} | {got['predicted']} | {fmt(got['precision'])} | "
            f"{fmt(got['recall'])} | {fmt(got['f1'])} |"
        )
    m = result["micro"]
    lines.append(
        f"| **micro** | {m['support']} | {m['predicted']} | {fmt(m['precision'])} | {fmt(m['recall'])} | "
        f"**{fmt(m['f1'])}** |"
    )
    return "\n".join(lines)


def held_back_parts(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    return {
        "all held-back negative comments": rows,
        "multi-label part (v6 + v5)": [r for r in rows if r["source"] in ("v6", "v5")],
        "single-label part (phase 1)": [r for r in rows if r["source"] == "p1"],
    }


# The npscli themes a phase-1 code can express (themes_data.PHASE1_MAP): no phone, billing or cost code.
PHASE1_COMPARABLE = ("wait_time", "scheduling", "staff", "communication", "facility", "parking", "clinical")


def external_tables(taxonomy, keywords_only) -> str:
    """The external set (every negative Care Opinion comment, never trained or tuned on), read from the
    pxtextmining mirror: micro figures (every theme found counts / only the themes its codes can express) for
    the keywords and the default matcher, and the default matcher's table."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import themes_data

    rows = [{"comment": c.text, "themes": ";".join(sorted(c.themes))} for c in themes_data.load_external()]

    def micro(matcher, only=None) -> str:
        if only is None:
            m = evaluate(matcher, rows)["micro"]
        else:
            kept = [dict(r, themes=";".join(t for t in r["themes"].split(";") if t in only)) for r in rows]
            counts = Counter()
            for row in kept:
                gold = set(filter(None, row["themes"].split(";")))
                found = set(matcher.match(row["comment"])) & set(only)
                counts.update(tp=len(gold & found), fp=len(found - gold), fn=len(gold - found))
            m = score(counts["tp"], counts["fp"], counts["fn"])
        return f"{fmt(m['precision'])} / {fmt(m['recall'])} / **{fmt(m['f1'])}**"

    lines = [
        "| external set | comments | keywords only: P / R / F1 | default (model): P / R / F1 |",
        "| --- | ---: | --- | --- |",
        f"| every theme found counts | {len(rows)} | {micro(keywords_only)} | {micro(taxonomy)} |",
        f"| only the themes its codes can express | {len(rows)} | {micro(keywords_only, PHASE1_COMPARABLE)} | "
        f"{micro(taxonomy, PHASE1_COMPARABLE)} |",
        "",
        f"Default matcher, external set ({len(rows)} comments, every theme found counts):",
        "",
        table(evaluate(taxonomy, rows)),
    ]
    return "\n".join(lines)


def us_clinic_rows(mirror: Path = US_CLINIC_MIRROR) -> list[dict[str, str]]:
    """The labelled comments that raise a concern, with their text from the mirror (``fetch`` brings
    github:ek-diaz/ANS_Proyect; the file was deleted later, so it is read at the commit that has it)."""
    import io
    import subprocess

    raw = subprocess.run(["git", "-C", str(mirror), "show", US_CLINIC_SOURCE], check=True, capture_output=True).stdout
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig")))
    header = next(reader)
    next(reader)  # SurveyMonkey's second header row
    ids, text = header.index("Respondent ID"), header.index("Do you have any other comments or concerns?")
    comments = {row[ids]: row[text] for row in reader if len(row) > text}
    return [
        {
            "comment": comments[r["respondent_id"]],
            "themes": r["themes"].replace(" ", ""),
            "part": r["part"],
            "language": r["survey_language"],
        }
        for r in read_rows(US_CLINIC_LABELS)
        if r["concern"] == "1"
    ]


def us_clinic_tables(taxonomy, keywords_only) -> str:
    rows = us_clinic_rows()
    lines = [
        "| US clinic, survey and part | comments | keywords only: P / R / F1 | default (model): P / R / F1 |",
        "| --- | ---: | --- | --- |",
    ]
    for language, name in (("es", "Spanish"), ("en", "English")):
        for part, title in (("heldback", "held-back half"), ("dev", "dev half")):
            kept = [r for r in rows if r["part"] == part and r["language"] == language]
            cells = []
            for matcher in (keywords_only, taxonomy):
                m = evaluate(matcher, kept)["micro"]
                cells.append(f"{fmt(m['precision'])} / {fmt(m['recall'])} / **{fmt(m['f1'])}**")
            lines.append(f"| {name}, {title} | {len(kept)} | {cells[0]} | {cells[1]} |")
    for language, name in (("es", "Spanish"), ("en", "English")):
        held = [r for r in rows if r["part"] == "heldback" and r["language"] == language]
        lines += ["", f"Default matcher, {name} survey, held-back half ({len(held)} comments):", ""]
        lines.append(table(evaluate(taxonomy, held)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", type=int, default=0, help="print this many misses per theme to stderr")
    parser.add_argument(
        "--external", action="store_true", help="measure the external set instead (needs the pxtextmining mirror)"
    )
    parser.add_argument(
        "--us-clinic", action="store_true", help="measure a US clinic's patients' comments instead (needs its mirror)"
    )
    args = parser.parse_args(argv)

    from npscli.io.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    if args.us_clinic:
        print(us_clinic_tables(taxonomy, load_taxonomy(model=False)))
        return 0
    if args.external:
        print(external_tables(taxonomy, load_taxonomy(model=False)))
        return 0
    out = []
    real = read_rows(HELD_BACK)
    for title, rows in held_back_parts(real).items():
        result = evaluate(taxonomy, rows)
        out.append(f"### Real, {title}: {result['comments']} comments\n\n{table(result)}\n")
        if args.misses and title.startswith("all"):
            for code, items in result["misses"].items():
                for kind, text, found in items[: args.misses]:
                    print(f"{code}\t{kind}\t{found}\t{text[:200]!r}", file=sys.stderr)
    for split in ("heldback", "dev"):
        rows = [r for r in read_rows(TRANSLATED) if r["split"] == split]
        for language in ("en", "es"):
            m = evaluate(taxonomy, rows, text=f"comment_{language}")["micro"]
            out.append(
                f"- translated `{split}` ({len(rows)} real comments), in `{language}`: precision "
                f"{fmt(m['precision'])}, recall {fmt(m['recall'])}, F1 {fmt(m['f1'])}"
            )
    synthetic = read_rows(SYNTHETIC)
    for language in ("en", "es"):
        for split in ("dev", "holdout1", "holdout2"):
            rows = [r for r in synthetic if r["language"] == language and r["split"] == split]
            m = evaluate(taxonomy, rows)["micro"]
            out.append(
                f"- synthetic `{language}` {split}: {len(rows)} comments, {m['support']} labels, "
                f"precision {fmt(m['precision'])}, recall {fmt(m['recall'])}, F1 {fmt(m['f1'])}"
            )
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
