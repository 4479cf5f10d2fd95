"""Helpers the certificate tests share: a completed enrolment, and reading a PDF as a person
would (its text, and its QR code decoded from the rendered page)."""

import io

import pypdfium2
import zxingcpp
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from app.catalog.models import Item
from app.certificates.models import Certificate, CertificateDocument
from app.extensions import db
from app.learning import services as learning
from tests.seasons.factories import enroll

# The right answers to small-example's basics-quiz, as the service takes them.
SMALL_QUIZ_RIGHT = {"0": ["0"], "1": ["0", "1"], "2": ["true"], "3": ["2"]}


def finish_all_but_last(user, course):
    """Enrol the learner and do every required item but the last; returns (enrolment, last)."""
    enrollment = enroll(user, course)
    items = list(
        db.session.scalars(
            select(Item).where(Item.course_id == course.id, Item.required).order_by(Item.position)
        )
    )
    for item in items[:-1]:
        do_item(enrollment, item)
    db.session.commit()
    return enrollment, items[-1]


def do_item(enrollment, item):
    if item.kind == "quiz":
        learning.submit_quiz(enrollment, item, 1, SMALL_QUIZ_RIGHT)
    else:
        learning.mark_done(enrollment, item)


def complete(user, course):
    """Enrol the learner in the small course and complete it (committed): the completion
    issues the certificate and, with inline jobs, renders it."""
    enrollment, last = finish_all_but_last(user, course)
    do_item(enrollment, last)
    db.session.commit()
    db.session.expire_all()
    return enrollment


def certificate_of(enrollment) -> Certificate | None:
    db.session.expire_all()
    return db.session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment.id))


def count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def stored_pdf(certificate, language=None, edition=None) -> bytes:
    """The stored PDF of an edition in a language (default: the current ones)."""
    document = db.session.scalar(
        select(CertificateDocument)
        .where(
            CertificateDocument.certificate_id == certificate.id,
            CertificateDocument.edition == (edition or certificate.edition),
            CertificateDocument.language == (language or certificate.language),
        )
        .options(undefer(CertificateDocument.data))
    )
    assert document is not None, "no PDF stored for that edition and language"
    return document.data


def pdf_text(pdf: bytes) -> str:
    """The text of every page, with runs of whitespace made single spaces."""
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return " ".join(text.split())


def pdf_pages(pdf: bytes) -> int:
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        return len(document)
    finally:
        document.close()


def qr_codes(pdf: bytes) -> list[str]:
    """The texts of the QR codes found on the first page, rendered at 200 dpi."""
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        image = document[0].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    return [found.text for found in zxingcpp.read_barcodes(image)]


def completed_place(user, course, cohort=None):
    """An enrolment marked completed without the completion signal, so no certificate yet
    (as after a bulk import or a fix by hand): what a bulk issue is for."""
    from app.core.db import utcnow

    enrollment = enroll(user, course, cohort)
    enrollment.completed_at = utcnow()
    db.session.commit()
    return enrollment
