"""Content-addressed file storage in the database (see StoredFile)."""

import hashlib
import mimetypes

from sqlalchemy import select

from app.core.files import read_picture
from app.core.models import StoredFile
from app.extensions import db

INLINE_TYPES = {"image/png", "image/jpeg", "image/webp", "image/gif"}


def store_file(data: bytes, filename: str, content_type: str | None = None) -> StoredFile:
    """Keep the bytes (once per content) and return the stored file."""
    digest = hashlib.sha256(data).hexdigest()
    found = db.session.scalar(select(StoredFile).where(StoredFile.sha256 == digest))
    if found is not None:
        return found
    content_type = content_type or _type_of(data, filename)
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


def _type_of(data: bytes, filename: str) -> str:
    """The type to serve the bytes as: by the name, except that only real pictures (read from
    their content) are served as pictures, the types pages show inline."""
    guessed = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if guessed in INLINE_TYPES:
        picture, _why = read_picture(data)
        if picture is None or picture.mime != guessed:
            return "application/octet-stream"
    return guessed


def file_reference(stored: StoredFile) -> dict:
    """What a row elsewhere keeps to link to a stored file."""
    return {"sha256": stored.sha256, "filename": stored.filename, "size": stored.size}
