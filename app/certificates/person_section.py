"""The person page's section about certificates (app/accounts/person_page.py): each
certificate with its status and the PDFs of its editions."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.person_page import PersonSection, register_person_section
from app.certificates.models import Certificate
from app.extensions import db


def _certificates(person) -> list | None:
    return (
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == person.id)
            .options(selectinload(Certificate.documents))
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        ).all()
        or None
    )


register_person_section(
    PersonSection(
        "certificates", "certificates/admin/_person_certificates.html", _certificates, position=40
    )
)
