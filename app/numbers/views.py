"""The public numbers page."""

from flask import Blueprint, render_template

from app.numbers.services import network_numbers

bp = Blueprint("numbers", __name__, url_prefix="/network", template_folder="templates")

MEASURES = ("learners", "institutions", "countries", "courses", "certificates")


@bp.get("/numbers")
def numbers():
    return render_template("numbers/numbers.html", numbers=network_numbers(), measures=MEASURES)
