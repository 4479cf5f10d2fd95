"""Who coordinates which institution (personal data: it links a person to an institution)."""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Institution, User
from app.core.db import UTCDateTime, utcnow
from app.extensions import db


class InstitutionCoordinator(db.Model):
    """A person who speaks for one institution: one institution per person, granted by an
    administrator. The primary key on the person makes a second institution impossible."""

    __tablename__ = "institution_coordinator"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True
    )
    granted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)
    institution: Mapped[Institution] = relationship(lazy="joined", innerjoin=True)
