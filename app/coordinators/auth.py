"""Coordinators' pages: a blueprint named `*_coordinator` for administrators and coordinators,
and one loader that checks the institution in the URL is the visitor's own."""

from flask import Blueprint, abort
from flask_login import current_user

from app.accounts.models import Institution
from app.coordinators.services import can_coordinate, coordinated_institution_id
from app.extensions import db, login_manager


def require_coordinator_or_admin() -> None:
    """Stop the request unless the visitor coordinates an institution or administers."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not (current_user.is_admin or coordinated_institution_id(current_user) is not None):
        abort(403)


def coordinator_blueprint(name: str, import_name: str, **kwargs) -> Blueprint:
    """A blueprint for coordinators (and administrators); every route checks its institution.

    The access test relies on the name: blueprints named `*_coordinator` are coordinators'.
    """
    if not name.endswith("_coordinator"):
        raise ValueError("coordinators' blueprints are named '<area>_coordinator'")
    blueprint = Blueprint(name, import_name, **kwargs)
    blueprint.before_request(require_coordinator_or_admin)
    return blueprint


def load_own_institution_or_404(institution_id: int) -> Institution:
    """The institution in the URL (404 if none), if the visitor may act for it (else 403)."""
    institution = db.session.get(Institution, institution_id) or abort(404)
    if not can_coordinate(current_user, institution.id):
        abort(403)
    return institution
