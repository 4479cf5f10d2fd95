"""Tables people download: CSV and .xlsx workbooks (XlsxWriter) that spreadsheets open as
text, never as formulas."""

import csv
import io
import re
from dataclasses import dataclass, field

from flask import Response

from app.core.views import content_disposition

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text a spreadsheet shows as text: a leading formula character is quoted away."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    """UTF-8 CSV with a byte-order mark (so spreadsheets read accents right), cells made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def file_name(*parts: str) -> str:
    """A download's file name from readable parts (accents kept, no separators or spaces)."""
    joined = "-".join(re.sub(r"[^\w\-]+", "-", part).strip("-") for part in parts if part)
    return joined or "export"


def download(body: bytes, filename: str, mimetype: str) -> Response:
    """An attachment that no cache keeps (it may hold people's data)."""
    response = Response(body, mimetype=mimetype)
    if mimetype.startswith("text/"):
        response.charset = "utf-8"
    response.headers["Content-Disposition"] = content_disposition("attachment", filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@dataclass
class Table:
    """One table of a report: a sheet of the workbook."""

    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)


# Excel refuses these in a sheet name, and names longer than 31 characters.
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, taken: set[str]) -> str:
    name = _SHEET_NAME_BAD.sub(" ", title).strip("' ")[:31] or "Sheet"
    base, n = name, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.casefold())
    return name


def xlsx_bytes(tables: list[Table]) -> bytes:
    """A workbook with one sheet per table: a bold header row frozen at the top, numbers as
    numbers, text always as text (a cell that starts like a formula gets Excel's quote prefix,
    shown as text and never run)."""
    import xlsxwriter  # loaded by the first workbook, not at start-up

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    bold = workbook.add_format({"bold": True})
    quoted = workbook.add_format({"quote_prefix": True})
    taken: set[str] = set()
    for table in tables:
        sheet = workbook.add_worksheet(_sheet_name(table.title, taken))
        widths = [len(str(header)) for header in table.headers]
        for column, header in enumerate(table.headers):
            sheet.write_string(0, column, str(header), bold)
        for row_number, row in enumerate(table.rows, start=1):
            for column, value in enumerate(row):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    text = "" if value is None else str(value)
                    if not text:
                        continue  # an empty cell, not an empty text
                    style = quoted if text.startswith(FORMULA_STARTS) else None
                    sheet.write_string(row_number, column, text, style)
                    widths[column] = max(widths[column], len(text))
                else:
                    sheet.write_number(row_number, column, value)
                    widths[column] = max(widths[column], len(str(value)))
        for column, width in enumerate(widths):
            sheet.set_column(column, column, min(max(width + 2, 8), 60))
        sheet.freeze_panes(1, 0)
    workbook.close()
    return out.getvalue()
