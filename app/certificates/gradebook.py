"""The gradebook's certificate column: issued (when), revoked, or none yet."""

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from app.certificates.models import Certificate, CertificateStatus
from app.extensions import db
from app.seasons.gradebook import Cell, Column, ColumnGroup, register_columns


def _columns(cohort) -> list[Column]:
    return [Column("certificate", _("Certificate"))]


def _cells(cohort, places) -> dict[int, dict[str, Cell]]:
    if not places:
        return {}
    cells = {}
    for enrollment_id, status, issued_at in db.session.execute(
        select(Certificate.enrollment_id, Certificate.status, Certificate.issued_at).where(
            Certificate.enrollment_id.in_([e.id for e in places])
        )
    ):
        if status == CertificateStatus.REVOKED:
            cells[enrollment_id] = {"certificate": Cell(_("Revoked"), 0)}
        else:
            day = format_date(issued_at, "medium")
            cells[enrollment_id] = {"certificate": Cell(_("Issued %(date)s", date=day), 1)}
    return cells


register_columns(ColumnGroup("certificates", _columns, _cells, position=30))
