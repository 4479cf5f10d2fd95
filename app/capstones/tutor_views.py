"""Tutors' side: the review queue across their cohorts, the review page, a cohort's ZIP."""

from app.core.auth import tutor_blueprint

bp = tutor_blueprint("capstones_tutor", __name__, template_folder="templates", url_prefix="/tutor")
