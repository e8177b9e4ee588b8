"""`npscli themes evaluate`: measure the taxonomy (the configured one, or a file) on a hand-labelled sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def evaluate_labelled(
    s, file: Path, *, text: str | None, expected: str | None, taxonomy_file: Path | None, sheet: str | None, worst: int
) -> dict[str, Any]:
    """The evaluation report (per theme, micro and macro averages, the worst misses) of ``file``."""
    from npscli.core.theme_eval import expected_lookup
    from npscli.io.labelled import read_labelled
    from npscli.io.taxonomy import load_configured_taxonomy, load_taxonomy
    from npscli.reports.theme_eval import evaluation_report

    if taxonomy_file is not None:
        taxonomy = load_taxonomy(taxonomy_file, root_causes=tuple(s.tickets.root_causes))
    else:
        taxonomy = load_configured_taxonomy(s)
    codes = list(taxonomy.codes)
    lookup = expected_lookup((code, taxonomy.theme(code).label) for code in codes)
    sample = read_labelled(file, lookup, codes=codes, text=text, expected=expected, sheet=sheet)
    return evaluation_report(sample, taxonomy, worst=worst)
