"""Administrators' certificate pages: list, one certificate with its history, revoke, restore,
re-issue, and bulk issue for a cohort or a season (as a background job)."""

from app.core.auth import admin_blueprint

bp = admin_blueprint(
    "certificates_admin", __name__, url_prefix="/admin", template_folder="templates"
)
