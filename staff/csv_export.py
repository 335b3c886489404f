"""CSV for French Excel: UTF-8 with a BOM, semicolons, and no cell that Excel would run as a formula."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

# A cell starting with one of these is read as a formula by spreadsheet software (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Control characters (NUL stops the csv module; the others only confuse spreadsheets).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_cell(value: object) -> str:
    text = _CONTROL.sub("", "" if value is None else str(value))
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def build_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
