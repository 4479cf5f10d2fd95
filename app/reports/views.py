"""The season report for administrators, as a page and as CSV."""

import csv
import io
import re

from flask import Response, current_app, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from app.core.auth import admin_blueprint
from app.core.i18n import country_name, localise
from app.core.views import content_disposition
from app.reports.services import FigureRow, SeasonFigures, season_figures
from app.seasons.queries import load_season_or_404

bp = admin_blueprint("reports_admin", __name__, template_folder="templates", url_prefix="/admin")

CSV_COLUMNS = (
    "section",
    "course",
    "cohort",
    "country_code",
    "country",
    "institution",
    "learners",
    "enrolled",
    "active",
    "completed",
    "certified",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _admin_link(endpoint: str, **values) -> str | None:
    """A link to a page of another area, when that page exists."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.get("/seasons/<int:season_id>/report")
def season_report(season_id):
    season = load_season_or_404(season_id)
    return render_template(
        "reports/season_report.html",
        season=season,
        figures=season_figures(season),
        back_url=_admin_link("seasons_admin.season", season_id=season.id)
        or _admin_link("seasons_admin.seasons"),
    )


@bp.get("/seasons/<int:season_id>/report.csv")
def season_report_csv(season_id):
    season = load_season_or_404(season_id)
    body = figures_csv(season_figures(season))
    response = Response(body, mimetype="text/csv")
    response.charset = "utf-8"
    filename = re.sub(r"[^\w\-]+", "-", season.name).strip("-") or "season"
    response.headers["Content-Disposition"] = content_disposition(
        "attachment", f"{filename}-report.csv"
    )
    return response


def safe_cell(value):
    """Text a spreadsheet shows as text: a leading formula character is quoted away."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def figures_csv(figures: SeasonFigures) -> bytes:
    """The report as CSV, one line per table row, with a section column; UTF-8 with a BOM so
    spreadsheets read accents right. The headline is in it: `learners` of the season line, and
    the number of country and institution lines."""
    locale = str(get_locale())
    self_paced = _("Self-paced (no cohort)")

    def line(section: str, row: FigureRow) -> list:
        course = localise(row.course.title, row.course.language) if row.course else ""
        cohort = row.cohort.name if row.cohort else (self_paced if section == "cohort" else "")
        return [
            section,
            str(course),
            cohort,
            row.country_code or "",
            country_name(row.country_code, locale),
            row.institution or "",
            row.learners,
            row.enrolled,
            row.active,
            row.completed,
            row.certified,
        ]

    lines = [line("season", figures.total)]
    lines += [line("course", row) for row in figures.by_course]
    lines += [line("cohort", row) for row in figures.by_cohort]
    lines += [line("country", row) for row in figures.by_country]
    lines += [line("institution", row) for row in figures.by_institution]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([safe_cell(cell) for cell in cells] for cells in lines)
    return out.getvalue().encode("utf-8-sig")
