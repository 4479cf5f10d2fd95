"""Content-addressed file storage in the database (see StoredFile)."""

import hashlib
import mimetypes

from sqlalchemy import select

from app.core.models import StoredFile
from app.extensions import db

INLINE_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif"}


def store_file(data: bytes, filename: str, content_type: str | None = None) -> StoredFile:
    """Keep the bytes (once per content) and return the stored file."""
    digest = hashlib.sha256(data).hexdigest()
    found = db.session.scalar(select(StoredFile).where(StoredFile.sha256 == digest))
    if found is not None:
        return found
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    stored = StoredFile(
        sha256=digest,
        filename=filename[-200:],
        content_type=content_type,
        size=len(data),
        data=data,
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def file_reference(stored: StoredFile) -> dict:
    """What a row elsewhere keeps to link to a stored file."""
    return {"sha256": stored.sha256, "filename": stored.filename, "size": stored.size}
