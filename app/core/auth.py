"""Authorisation helpers: one rule each, shared by views and templates.

They ask the signed-in user object (`is_admin`, `is_tutor`), so core names no feature area.
"""

from urllib.parse import urlsplit

from flask import Blueprint, abort
from flask_login import current_user

from app.extensions import login_manager


def require_admin() -> None:
    """Stop the request unless the signed-in user is an administrator (login first, then 403)."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not current_user.is_admin:
        abort(403)


def admin_blueprint(name: str, import_name: str, **kwargs) -> Blueprint:
    """A blueprint whose every route is for administrators only.

    The access test relies on the name: blueprints named `*_admin` are administrators' pages.
    """
    if not name.endswith("_admin"):
        raise ValueError("administrators' blueprints are named '<area>_admin'")
    blueprint = Blueprint(name, import_name, **kwargs)
    blueprint.before_request(require_admin)
    return blueprint


def require_tutor_or_admin() -> None:
    """Stop the request unless the signed-in user leads cohorts or administers the platform."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not (current_user.is_tutor or current_user.is_admin):
        abort(403)


def tutor_blueprint(name: str, import_name: str, **kwargs) -> Blueprint:
    """A blueprint for tutors (and administrators); each route still checks the cohort.

    The access test relies on the name: blueprints named `*_tutor` are tutors' pages.
    """
    if not name.endswith("_tutor"):
        raise ValueError("tutors' blueprints are named '<area>_tutor'")
    blueprint = Blueprint(name, import_name, **kwargs)
    blueprint.before_request(require_tutor_or_admin)
    return blueprint


def safe_next_url(target: str | None) -> str | None:
    """The target if it is a path on this site, else None (no open redirects)."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
