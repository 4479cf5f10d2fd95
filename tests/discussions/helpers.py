"""A tutor-led course with two cohorts, their tutors and learners, and ways to post."""

import io
from dataclasses import dataclass

from sqlalchemy import func, select

from app.accounts.models import Role
from app.catalog.models import CourseKind
from app.discussions import services
from app.discussions.models import Attachment, Post, Thread, ThreadKind
from app.discussions.services import Place
from app.extensions import db
from tests.conftest import csrf_token, login
from tests.learning.helpers import build_course
from tests.seasons.factories import enroll, make_cohort


@dataclass
class Scene:
    course: object
    cohort: object
    other_cohort: object
    tutor: object
    other_tutor: object
    learner: object
    classmate: object
    stranger: object  # a learner of the other cohort

    @property
    def place(self):
        return Place(cohort=self.cohort)


def make_scene(make_user) -> Scene:
    tutor = make_user(role=Role.TUTOR, email="tutor@example.org", full_name="Tina Tutor")
    other_tutor = make_user(role=Role.TUTOR, email="other-tutor@example.org")
    course = build_course("talk", kind=CourseKind.TUTOR_LED)
    cohort = make_cohort(course, name="A", tutors=[tutor])
    other = make_cohort(course, name="B", tutors=[other_tutor])
    learner = make_user(email="learner@example.org", full_name="Lara Learner")
    classmate = make_user(email="classmate@example.org", full_name="Carla Classmate")
    stranger = make_user(email="stranger@example.org", full_name="Sam Stranger")
    enroll(learner, course, cohort)
    enroll(classmate, course, cohort)
    enroll(stranger, course, other)
    db.session.commit()
    return Scene(course, cohort, other, tutor, other_tutor, learner, classmate, stranger)


def start(scene, author=None, kind=ThreadKind.DISCUSSION, title="Hola", body="Primer mensaje"):
    thread = services.start_thread(scene.place, author or scene.learner, kind, title, body)
    db.session.commit()
    return thread


def post_multipart(client, url, data, files=()):
    """A form posted as a browser does: multipart, with a page's CSRF token."""
    payload = {"csrf_token": csrf_token(client, "/"), **data}
    if files:
        payload["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(url, data=payload, content_type="multipart/form-data")


def counts() -> tuple[int, int, int]:
    """(threads, posts, attachments) in the database."""
    db.session.expire_all()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Thread, Post, Attachment)
    )


__all__ = ["login"]


def signed_in(app, user):
    """A new client of its own, signed in as `user`."""
    client = app.test_client()
    login(client, user)
    return client
