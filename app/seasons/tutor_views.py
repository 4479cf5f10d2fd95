"""Tutors' pages: their cohorts, each roster with progress, and mail to a cohort."""

from app.core.auth import tutor_blueprint

bp = tutor_blueprint("seasons_tutor", __name__, template_folder="templates", url_prefix="/tutor")
