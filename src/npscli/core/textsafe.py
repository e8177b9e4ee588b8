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


# C0 controls but tab and newline, DEL, and the C1 controls (a lone 0x9b is a CSI on some terminals)
_CONTROLS = {code: "\N{REPLACEMENT CHARACTER}" for code in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))}
del _CONTROLS[ord("\t")], _CONTROLS[ord("\n")]


def terminal_safe(text: str) -> str:
    """``text`` fit for a terminal: control characters (ESC sequences that clear the screen, retitle the
    window or hide text; a carriage return that overwrites a line) become a visible U+FFFD mark.

    Survey comments and columns are untrusted: use this on every text line written for a person to read;
    machine formats (JSON, CSV) keep the data as it was.
    """
    if text.isprintable():
        return text
    return text.replace("\r\n", "\n").translate(_CONTROLS)
