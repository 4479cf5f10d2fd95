"""A coordinator's institution as a section of their dashboard (app/learning/dashboard.py)."""

from app.accounts.models import Institution
from app.coordinators.services import COORDINATED_BY, coordinated_institution_id
from app.extensions import db
from app.learning.dashboard import DashboardSection, register_section


def _institution(user) -> Institution | None:
    institution_id = coordinated_institution_id(user)
    return db.session.get(Institution, institution_id) if institution_id else None


register_section(
    DashboardSection(
        name="coordinator",
        template="coordinators/_dashboard.html",
        load=_institution,
        present=COORDINATED_BY.exists(),
    )
)
