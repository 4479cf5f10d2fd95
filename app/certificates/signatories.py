"""Who signs certificates and which partner institutions they show, as administrators set them.

Signatories (name, title, a picture of the signature) belong to a course, a season, or a
course in one season; a certificate prints the most specific group that has any (course and
season, else course, else season), at most two. Partners (name and logo) belong to a course.
Pictures are checked by their content (app/core/files.py `read_picture`) before anything is
stored, and kept in the core storage.

A certificate freezes its signatories and partners in its record when it is issued or
re-issued (`signing_for`), so every language of an edition shows the same ones; removing a
signatory later changes no certificate already issued.
"""

import io

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps
from sqlalchemy import delete, func, select

from app.certificates.models import Partner, Signatory
from app.core.files import read_picture
from app.core.models import StoredFile
from app.core.refusals import Refusal
from app.core.storage import store_file
from app.extensions import db

SIGNATORIES_MAX = 2
PARTNERS_MAX = 6
PICTURE_MAX_BYTES = 2 * 1024 * 1024
# A scanned signature or a logo: 4 million pixels (2,000 x 2,000) is plenty for 40 mm.
PICTURE_MAX_PIXELS = 4_000_000
NAME_MAX = 120
TITLE_MAX = 200


class SigningRefused(Refusal):
    """A signatory or a partner cannot be added as asked; the message says why."""


def _clean(text: str, most: int, missing, too_long) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise SigningRefused(missing)
    if len(text) > most or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise SigningRefused(too_long)
    return text


def _clean_name(text: str, most: int) -> str:
    return _clean(
        text,
        most,
        _l("Give the name."),
        _l("Keep the name under %(count)s characters.", count=most),
    )


def _picture(data: bytes, name: str) -> StoredFile:
    """Keep the picture, made ready to print, if the bytes are a real picture of a type pages
    show; else refuse, storing nothing."""
    if not data:
        raise SigningRefused(_l("Choose the picture file."))
    if len(data) > PICTURE_MAX_BYTES:
        raise SigningRefused(_l("The picture is larger than 2 MB."))
    picture, _why = read_picture(data, max_pixels=PICTURE_MAX_PIXELS)
    if picture is None:
        raise SigningRefused(
            _l("That file is not a PNG, JPEG, WebP or GIF picture of at most 2,000 × 2,000 pixels.")
        )
    return store_file(printable(data), f"{name}.jpg", "image/jpeg")


# A signature prints about 56 x 14 mm, a logo 30 x 12 mm: 900 x 300 pixels is over 400 dpi.
PRINT_SIZE = (900, 300)


def printable(data: bytes) -> bytes:
    """A checked picture as it is printed: on white (certificates are white), at most
    PRINT_SIZE, as a JPEG. WeasyPrint embeds a JPEG as it is, where it would decode and
    compress a PNG again for each PDF (about three empty pages' time for two signatures and
    two logos); re-encoding also drops whatever else the file carried (metadata, a second
    format appended). Call only after read_picture accepted the bytes (its pixel limit)."""
    with Image.open(io.BytesIO(data)) as opened:
        opened.seek(0)  # an animated GIF: its first frame
        image = ImageOps.exif_transpose(opened)
        image.thumbnail(PRINT_SIZE)
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            image = image.convert("RGBA")
            white = Image.new("RGB", image.size, "white")
            white.paste(image, mask=image.getchannel("A"))
            image = white
        else:
            image = image.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _same(column, value):
    return column.is_(None) if value is None else column == value


def add_signatory(
    *, course_id: int | None, season_id: int | None, name: str, title: str, signature: bytes
) -> Signatory:
    """A signatory for a course, a season or a course in a season (two at most each)."""
    if course_id is None and season_id is None:
        raise SigningRefused(_l("Choose the course or the season (or both) this person signs for."))
    name = _clean_name(name, NAME_MAX)
    title = _clean(
        title,
        TITLE_MAX,
        _l("Give the title."),
        _l("Keep the title under %(count)s characters.", count=TITLE_MAX),
    )
    taken = db.session.scalar(
        select(func.count())
        .select_from(Signatory)
        .where(_same(Signatory.course_id, course_id), _same(Signatory.season_id, season_id))
    )
    if taken >= SIGNATORIES_MAX:
        raise SigningRefused(_l("A certificate has at most two signatories: remove one first."))
    stored = _picture(signature, "signature")
    signatory = Signatory(
        course_id=course_id, season_id=season_id, name=name, title=title, signature_id=stored.id
    )
    db.session.add(signatory)
    db.session.flush()
    return signatory


def add_partner(*, course_id: int, name: str, logo: bytes) -> Partner:
    """A partner institution whose logo the course's certificates show."""
    name = _clean_name(name, TITLE_MAX)
    taken = db.session.scalar(
        select(func.count()).select_from(Partner).where(Partner.course_id == course_id)
    )
    if taken >= PARTNERS_MAX:
        raise SigningRefused(
            _l(
                "A course shows at most %(count)s partner logos: remove one first.",
                count=PARTNERS_MAX,
            )
        )
    stored = _picture(logo, "logo")
    partner = Partner(course_id=course_id, name=name, logo_id=stored.id)
    db.session.add(partner)
    db.session.flush()
    return partner


def remove_signatory(signatory_id: int) -> bool:
    """Remove a signatory (certificates already issued keep theirs); whether it was there."""
    return db.session.execute(delete(Signatory).where(Signatory.id == signatory_id)).rowcount == 1


def remove_partner(partner_id: int) -> bool:
    """Remove a partner (certificates already issued keep its logo); whether it was there."""
    return db.session.execute(delete(Partner).where(Partner.id == partner_id)).rowcount == 1


def signing_for(course_id: int | None, season_id: int | None) -> dict:
    """What a certificate of this course and season freezes in its record: its signatories
    and partners, with their pictures named by SHA-256 (two queries)."""
    rows = db.session.execute(
        select(Signatory, StoredFile.sha256)
        .join(StoredFile, StoredFile.id == Signatory.signature_id)
        .where(
            # A signatory of this course, this season, or this course in this season (the
            # table refuses one of neither).
            Signatory.course_id.is_(None) | (Signatory.course_id == course_id),
            Signatory.season_id.is_(None) | (Signatory.season_id == season_id),
        )
        .order_by(Signatory.id)
    ).all()

    def rank(signatory: Signatory) -> int:
        return (signatory.course_id is not None) * 2 + (signatory.season_id is not None)

    best = max((rank(s) for s, _sha in rows), default=None)
    chosen = [
        {"name": s.name, "title": s.title, "signature": sha} for s, sha in rows if rank(s) == best
    ][:SIGNATORIES_MAX]
    partners = db.session.execute(
        select(Partner.name, StoredFile.sha256)
        .join(StoredFile, StoredFile.id == Partner.logo_id)
        .where(Partner.course_id == course_id)
        .order_by(Partner.id)
    ).all()
    return {
        "signatories": chosen,
        "partners": [{"name": name, "logo": sha} for name, sha in partners][:PARTNERS_MAX],
    }


def pictures_of(printed: dict) -> dict[str, bytes]:
    """The pictures a certificate's record names, as design files `pictures/<sha256>` (one
    query; none when it names none)."""
    wanted = {s["signature"] for s in printed.get("signatories", [])}
    wanted |= {p["logo"] for p in printed.get("partners", [])}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(StoredFile.sha256, StoredFile.data).where(StoredFile.sha256.in_(wanted))
    ).all()
    return {f"pictures/{sha}": data for sha, data in rows}


def signatories_page() -> tuple[list[Signatory], list[Partner]]:
    """Every signatory and partner, for the administrators' page."""
    return (
        list(db.session.scalars(select(Signatory).order_by(Signatory.id))),
        list(db.session.scalars(select(Partner).order_by(Partner.course_id, Partner.id))),
    )
