"""Learners' side of capstone projects: the draft, submission, versions, reviews, files."""

from flask import Blueprint

from app.capstones import models  # noqa: F401  (the tables, for migrations and the app)

bp = Blueprint("capstones", __name__, template_folder="templates")
