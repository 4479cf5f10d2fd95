"""Helpers the capstone tests share: the real OSH course (tutor-led, with a capstone), a
cohort of it with tutors, learners with a place in it, and tiny valid files."""

import base64
from pathlib import Path

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Role
from app.catalog.models import Course
from app.extensions import db
from tests.conftest import TEST_PASSWORD, import_package
from tests.seasons.factories import enroll, make_cohort

OSH = "osh-in-vocational-training"
CAPSTONE = "proyecto-final"
PACKAGE = Path(__file__).resolve().parents[2] / "course_content" / OSH
ITEM_URL = f"/learn/{OSH}/{CAPSTONE}"
SAVE_URL = f"{ITEM_URL}/capstone"

_counter = {"n": 0}


def osh_course() -> Course:
    """The OSH course (tutor-led, capstone "proyecto-final"), imported once per test (its
    package read and its guides rendered once per worker: see import_package)."""
    course = db.session.scalar(select(Course).where(Course.slug == OSH))
    if course is None:
        (course,) = import_package(PACKAGE)
    return course


def make_person(role=Role.LEARNER, *, email=None, full_name=None, locale="en", **_):
    """A confirmed user (password TEST_PASSWORD), committed."""
    _counter["n"] += 1
    n = _counter["n"]
    user = accounts.create_user(
        email or f"capstone{n}@example.org",
        full_name or f"Capstone Person {n}",
        role,
        TEST_PASSWORD,
        check_strength=False,
    )
    user.locale = locale
    db.session.commit()
    return user


def capstone_cohort(tutors=None, seats=10, course=None, **dates):
    """A cohort of the OSH course led by `tutors` (one new tutor by default), committed.

    Its tutors are `cohort.tutors`; set `cohort.capstone_due_on` / `capstone_cutoff_on`
    directly when a test needs deadlines.
    """
    course = course or osh_course()
    if tutors is None:
        tutors = [make_person(Role.TUTOR)]
    cohort = make_cohort(course, seats=seats, tutors=list(tutors), **dates)
    db.session.commit()
    return cohort


def enrolled_learner(cohort, **user):
    """A learner (locale "en" unless told) with a place in `cohort`, committed."""
    learner = make_person(Role.LEARNER, **user)
    enroll(learner, cohort.offering.course, cohort)
    db.session.commit()
    return learner


def enrollment_of(user, course=None):
    from app.seasons.models import Enrollment

    course = course or osh_course()
    db.session.expire_all()
    return db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )


def capstone_item(course=None):
    from app.capstones import services

    return services.capstone_item(course or osh_course())


def submission_of(user, course=None):
    """The learner's submission row (created on first use by the service), or None."""
    from app.capstones import services

    course = course or osh_course()
    enrollment = enrollment_of(user, course)
    return services.find_submission(enrollment, capstone_item(course))


def start(user, course=None):
    """The learner's submission, created through the service if needed (flushed)."""
    from app.capstones import services

    course = course or osh_course()
    enrollment = enrollment_of(user, course)
    item = capstone_item(course)
    return services.find_submission(enrollment, item) or services.start_submission(enrollment, item)


def pdf_bytes() -> bytes:
    """A tiny valid PDF."""
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    """A valid 1x1 PNG."""
    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )


def post_project(client, text="", files=(), action="save_draft", seen=None, **extra):
    """Post the project form as a browser does: multipart, with the CSRF token of a page.

    `files` are (name, bytes) pairs; `action` is the button: "save_draft" or "submit_project".
    """
    import io

    from tests.conftest import csrf_token

    data = {"csrf_token": csrf_token(client, "/"), "text": text, action: "1", **extra}
    if seen is not None:
        data["seen_versions"] = str(seen)
    if files:
        data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(SAVE_URL, data=data, content_type="multipart/form-data")


def count_files() -> int:
    from sqlalchemy import func

    from app.capstones.models import CapstoneFile

    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(CapstoneFile))
