"""Tables people download: CSV that spreadsheets open as text, never as formulas."""

import csv
import io
import re

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
