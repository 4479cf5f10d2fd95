"""The season report for administrators, as a page and as CSV."""

from app.core.auth import admin_blueprint

bp = admin_blueprint("reports_admin", __name__, template_folder="templates", url_prefix="/admin")
