"""The same themes before and after: run two checkouts' theme matching over the same comments and compare.

    .venv/bin/python bench/theme_check.py --base ../old-checkout            # 20,000 comments
    .venv/bin/python bench/theme_check.py --base ../old-checkout --count 50000

Each checkout runs with its own .venv. For three taxonomies (the packaged one with its model, keywords only,
and the packaged one extended with a clinic theme, so model and keyword themes mix) it records for every
comment ``match()``, ``suggest_root_cause()``, ``is_abusive()``, ``features()`` and ``explain(every_theme=True)``
(scores as exact reprs), then checks the two records are identical. Exit status 1 and the first differences
when they are not.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = """[taxonomy]
extend = true

[themes.phones]
label = "Phones"
root_cause = "communication"
keywords = ["phone*", "switchboard"]
problems = ["engaged", "on hold"]
if_negative = ["answer*", "call* back"]
exclude = ["phone number"]
"""


def record(texts: list[str]) -> list[dict]:
    from npscli.io.taxonomy import load_taxonomy

    with tempfile.TemporaryDirectory() as tmp:
        extended = Path(tmp) / "clinic.toml"
        extended.write_text(EXTENSION, encoding="utf-8")
        taxonomies = {
            "model": load_taxonomy(),
            "keywords": load_taxonomy(model=False),
            "extended": load_taxonomy(extended),
        }
    out = []
    for text in texts:
        row: dict = {}
        for name, taxonomy in taxonomies.items():
            row[name] = {
                "match": taxonomy.match(text),
                "cause": taxonomy.suggest_root_cause(text),
                "abusive": taxonomy.is_abusive(text),
                "features": taxonomy.features(text),
                "explain": [
                    [e.theme, e.matched, e.method, repr(e.score), [[c, repr(w)] for c, w in e.cues]]
                    for e in taxonomy.explain(text, every_theme=True)
                ],
            }
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="the checkout to compare against (with its .venv)")
    parser.add_argument("--new", default=str(ROOT), help="this checkout (default)")
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--record", help=argparse.SUPPRESS)  # internal: write this checkout's record here
    parser.add_argument("--fixture", help="write every 50th comment's themes and root cause (packaged model and "
                        "keywords only) to this JSON file: the expected outputs tests/core/test_theme_outputs.py pins")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))
    from comment_corpus import comments

    texts = comments(args.count, critical_share=0.5)
    if args.fixture:
        sample = texts[::50]
        rows = record(sample)
        fixture = {
            "about": "expected theme outputs of the packaged matcher (pinned before the theme-speed change, "
            "re-pinned when the model was retrained with the Spanish word map, and again with US patients' Spanish "
            "words (ek-diaz/ANS_Proyect); bench/theme_check.py --fixture, "
            "run with that checkout's .venv); comments: bench/comment_corpus.py",
            "extension": EXTENSION,
            "comments": [
                {"text": text, **{name: {"match": row[name]["match"], "cause": row[name]["cause"]}
                                  for name in ("model", "keywords", "extended")}}
                for text, row in zip(sample, rows, strict=True)
            ],
        }
        Path(args.fixture).write_text(json.dumps(fixture, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return 0
    if args.record:
        Path(args.record).write_text(json.dumps(record(texts)), encoding="utf-8")
        return 0
    if not args.base:
        parser.error("--base is required")
    records = {}
    with tempfile.TemporaryDirectory() as tmp:
        for side, checkout in (("before", args.base), ("after", args.new)):
            checkout = Path(checkout).resolve()
            path = Path(tmp) / f"{side}.json"
            subprocess.run(
                [str(checkout / ".venv" / "bin" / "python"), str(Path(__file__).resolve()), "--count",
                 str(args.count), "--record", str(path)],
                check=True, cwd=checkout,
            )
            records[side] = json.loads(path.read_text(encoding="utf-8"))
    differ = [i for i, (a, b) in enumerate(zip(records["before"], records["after"], strict=True)) if a != b]
    found = sum(bool(r["model"]["match"]) for r in records["before"])
    print(f"{len(texts)} comments ({len(set(texts))} distinct, {found} with a theme under the packaged model), "
          f"3 taxonomies: {len(differ)} differ")
    for i in differ[:5]:
        print(f"  #{i} {texts[i][:80]!r}")
        for name in records["before"][i]:
            if records["before"][i][name] != records["after"][i][name]:
                print(f"    {name}: before {records['before'][i][name]}")
                print(f"    {name}: after  {records['after'][i][name]}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
