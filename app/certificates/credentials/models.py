"""The signed Bitstring Status Lists (the certificates' own index into them is a column of
`certificate`, `credential_status_index`)."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, utcnow
from app.extensions import db


class CredentialStatusList(db.Model):
    """One status list credential as last signed, served as stored at a stable URL.

    Rewritten (and signed again) in the transaction that revokes or restores a certificate
    on it, under a row lock, so concurrent revocations cannot lose one another.
    """

    __tablename__ = "credential_status_list"

    # The list's number in its URL (/credentials/status/<id>); chosen, not generated.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    purpose: Mapped[str] = mapped_column(String(20), default="revocation")
    credential: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
