"""Text safety helpers shared by every writer of files a person opens in Excel.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab / carriage return
followed by one) as a formula: a patient comment such as ``=HYPERLINK(...)`` would run when a manager
opens the export. Such strings are prefixed with a single quote, which Excel shows as plain text.
Numbers are left alone: ``-12.5`` as a number is not a formula.
"""

from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(value: Any) -> Any:
    """Return ``value`` made safe for a CSV/XLSX cell: strings that Excel would run get a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
