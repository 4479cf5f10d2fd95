"""The reports as tables in the reader's language, written as CSV or as an .xlsx workbook.

A table is a title, its column headings and its rows; the page, the CSV and the workbook read
the same tables. Every text cell that a spreadsheet would run as a formula is neutralised.

The workbook is written with XlsxWriter: it only writes (reports never read a workbook back),
streams rows without holding a document model, has no dependencies, and writes a text cell
as text whatever it starts with.
"""

import csv
import io
import re
from dataclasses import dataclass, field

import xlsxwriter
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import Represents
from app.core.i18n import country_name, localise
from app.reports.services import FigureRow, NetworkFigures, SeasonFigures

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

REPRESENTS_LABELS = {
    Represents.VTI: _l("Vocational training institutions"),
    Represents.GOVERNMENT: _l("Ministries and government bodies"),
    Represents.EMPLOYERS: _l("Employers' organisations"),
    Represents.WORKERS: _l("Workers' organisations"),
    Represents.OTHER: _l("Other organisations"),
}

# Excel refuses these in a sheet name, and names longer than 31 characters.
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Table:
    """One table of a report: a sheet of the workbook."""

    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)


def safe_cell(value):
    """Text a spreadsheet shows as text: a leading formula character is quoted away."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def count_headers() -> list[str]:
    return [_("Learners"), _("Enrolled"), _("Active"), _("Completed"), _("Certified")]


def counts(row) -> list[int]:
    return [row.learners, row.enrolled, row.active, row.completed, row.certified]


def _course(row: FigureRow) -> str:
    return str(localise(row.course.title, row.course.language)) if row.course else ""


def season_tables(figures: SeasonFigures) -> list[Table]:
    """The season report's tables, in the reader's language."""
    locale = str(get_locale())
    self_paced = _("Self-paced (no cohort)")
    by_course = Table(_("By course"), [_("Course"), *count_headers()])
    by_course.rows = [[_course(row), *counts(row)] for row in figures.by_course]
    by_course.rows.append([_("Whole season"), *counts(figures.total)])
    by_cohort = Table(_("By cohort"), [_("Course"), _("Cohort"), *count_headers()])
    by_cohort.rows = [
        [_course(row), row.cohort.name if row.cohort else self_paced, *counts(row)]
        for row in figures.by_cohort
    ]
    by_country = Table(_("By country"), [_("Country code"), _("Country"), *count_headers()])
    by_country.rows = [
        [row.country_code, country_name(row.country_code, locale), *counts(row)]
        for row in figures.by_country
    ]
    by_institution = Table(
        _("By institution"), [_("Institution"), _("Full name"), *count_headers()]
    )
    by_institution.rows = [
        [
            row.institution or "",
            row.institution_name or _("Written in by participants"),
            *counts(row),
        ]
        for row in figures.by_institution
    ]
    by_represents = Table(_("By what people represent"), [_("They represent"), *count_headers()])
    by_represents.rows = [
        [str(REPRESENTS_LABELS[row.represents]), *counts(row)] for row in figures.by_represents
    ]
    return [by_course, by_cohort, by_country, by_institution, by_represents]


def season_csv_rows(figures: SeasonFigures) -> tuple[list[str], list[list]]:
    """The season report as one CSV table with a section column, headers in the reader's
    language. The headline is in it: the learners of the season line, and the number of
    country and institution lines."""
    locale = str(get_locale())
    self_paced = _("Self-paced (no cohort)")
    headers = [
        _("Section"), _("Course"), _("Cohort"), _("Country code"), _("Country"),
        _("Institution"), _("They represent"), *count_headers(),
    ]  # fmt: skip

    def line(section: str, row: FigureRow, *, cohort_line=False) -> list:
        placeholder = self_paced if cohort_line else ""
        cohort = row.cohort.name if row.cohort else placeholder
        return [
            section,
            _course(row),
            cohort,
            row.country_code or "",
            country_name(row.country_code, locale),
            row.institution or "",
            str(REPRESENTS_LABELS[row.represents]) if row.represents else "",
            *counts(row),
        ]

    rows = [line(_("Season"), figures.total)]
    rows += [line(_("Course"), row) for row in figures.by_course]
    rows += [line(_("Cohort"), row, cohort_line=True) for row in figures.by_cohort]
    rows += [line(_("Country"), row) for row in figures.by_country]
    rows += [line(_("Institution"), row) for row in figures.by_institution]
    rows += [line(_("They represent"), row) for row in figures.by_represents]
    return headers, rows


def network_table(network: NetworkFigures) -> Table:
    """Every season side by side, and the whole network, in the reader's language."""
    table = Table(
        _("Seasons"),
        [
            _("Season"), _("First day"), _("Last day"), _("People"), _("Enrolled"),
            _("Institutions"), _("Countries"), _("Repeat learners"),
        ],
    )  # fmt: skip
    for line in network.seasons:
        table.rows.append(
            [
                line.season.display_name,
                line.season.starts_on.isoformat(),
                line.season.ends_on.isoformat(),
                line.people,
                line.enrolled,
                line.institutions,
                line.countries,
                line.repeat,
            ]  # fmt: skip
        )
    total = network.total
    table.rows.append(
        [
            _("Whole network (each person once)"),
            "",
            "",
            total.people,
            total.enrolled,
            total.institutions,
            total.countries,
            total.repeat,
        ]  # fmt: skip
    )
    return table


def csv_bytes(headers: list[str], rows: list[list]) -> bytes:
    """CSV in UTF-8 with a BOM, so spreadsheets read accents right; formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in headers])
    writer.writerows([safe_cell(cell) for cell in cells] for cells in rows)
    return out.getvalue().encode("utf-8-sig")


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
