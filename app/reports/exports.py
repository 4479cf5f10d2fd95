"""The reports as tables in the reader's language, written as CSV or as an .xlsx workbook.

A table is a title, its column headings and its rows; the page, the CSV and the workbook read
the same tables. Every text cell that a spreadsheet would run as a formula is neutralised.

The workbook is written with XlsxWriter: it only writes (reports never read a workbook back),
streams rows without holding a document model, has no dependencies, and writes a text cell
as text whatever it starts with.
"""

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import Represents

# The reports' tables, workbooks and CSV are the core's (app/core/exports.py).
from app.core.exports import Table, csv_bytes, safe_cell, xlsx_bytes  # noqa: F401
from app.core.i18n import country_name, localise
from app.reports.services import FigureRow, NetworkFigures, SeasonFigures

REPRESENTS_LABELS = {
    Represents.VTI: _l("Vocational training institutions"),
    Represents.GOVERNMENT: _l("Ministries and government bodies"),
    Represents.EMPLOYERS: _l("Employers' organisations"),
    Represents.WORKERS: _l("Workers' organisations"),
    Represents.OTHER: _l("Other organisations"),
}


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
