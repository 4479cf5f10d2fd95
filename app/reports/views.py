"""The season report and the network view for administrators: pages, CSV and .xlsx."""

import re

from flask import Response, current_app, render_template, url_for
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from app.core.auth import admin_blueprint
from app.core.views import content_disposition
from app.reports.exports import (
    REPRESENTS_LABELS,
    csv_bytes,
    network_table,
    season_csv_rows,
    season_tables,
    xlsx_bytes,
)
from app.reports.services import network_figures, season_figures
from app.seasons.queries import load_season_or_404

bp = admin_blueprint("reports_admin", __name__, template_folder="templates", url_prefix="/admin")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _admin_link(endpoint: str, **values) -> str | None:
    """A link to a page of another area, when that page exists."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _file_name(title: str, extension: str) -> str:
    """A download's name from its title in the reader's language (letters of any script
    kept, everything else a dash)."""
    return (re.sub(r"[^\w\-]+", "-", title).strip("-") or "report") + f".{extension}"


def _download(body: bytes, mimetype: str, title: str, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    if mimetype == "text/csv":
        response.charset = "utf-8"
    response.headers["Content-Disposition"] = content_disposition(
        "attachment", _file_name(title, extension)
    )
    return response


def _season_title(season) -> str:
    return _("Participation %(season)s", season=season.display_name)


@bp.get("/seasons/<int:season_id>/report")
def season_report(season_id):
    season = load_season_or_404(season_id)
    return render_template(
        "reports/season_report.html",
        season=season,
        figures=season_figures(season),
        represents_labels=REPRESENTS_LABELS,
        back_url=_admin_link("seasons_admin.season", season_id=season.id)
        or _admin_link("seasons_admin.seasons"),
    )


@bp.get("/seasons/<int:season_id>/report.csv")
def season_report_csv(season_id):
    season = load_season_or_404(season_id)
    headers, rows = season_csv_rows(season_figures(season))
    return _download(csv_bytes(headers, rows), "text/csv", _season_title(season), "csv")


@bp.get("/seasons/<int:season_id>/report.xlsx")
def season_report_xlsx(season_id):
    season = load_season_or_404(season_id)
    body = xlsx_bytes(season_tables(season_figures(season)))
    return _download(body, XLSX, _season_title(season), "xlsx")


@bp.get("/reports/seasons")
def network_report():
    return render_template("reports/network_report.html", network=network_figures())


@bp.get("/reports/seasons.csv")
def network_report_csv():
    table = network_table(network_figures())
    return _download(
        csv_bytes(table.headers, table.rows), "text/csv", _("Participation by season"), "csv"
    )


@bp.get("/reports/seasons.xlsx")
def network_report_xlsx():
    body = xlsx_bytes([network_table(network_figures())])
    return _download(body, XLSX, _("Participation by season"), "xlsx")
