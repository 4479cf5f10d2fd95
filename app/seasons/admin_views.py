"""Administrators' pages for seasons, offerings, cohorts and their rosters."""

from app.core.auth import admin_blueprint

bp = admin_blueprint("seasons_admin", __name__, template_folder="templates", url_prefix="/admin")
