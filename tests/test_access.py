"""Every URL rule, walked as an anonymous visitor, a learner, a tutor and an administrator.

New routes fall under this test automatically: a route is for signed-in people unless it is
listed in PUBLIC_ENDPOINTS; blueprints named `*_admin` are for administrators and `*_tutor`
for tutors. A route with a URL argument this file cannot fill fails the test until it can.
"""

import pytest
from flask import url_for
from sqlalchemy import select

from app.accounts.models import Institution, Role, UserSession
from app.accounts.sessions import start_session
from app.capstones import services as capstones
from app.catalog.models import CourseKind, Item
from app.certificates import corrections, signatories
from app.certificates.services import issue_certificate, render_document
from app.coordinators import services as coordinators
from app.core import jobs
from app.core.db import utcnow
from app.core.models import StoredFile
from app.directory import services as directory
from app.discussions import networks
from app.discussions import services as discussions
from app.discussions.models import Post, ThreadKind
from app.discussions.networks import create_network, name_moderator
from app.discussions.networks import join as join_network
from app.discussions.services import Place
from app.extensions import db
from app.notifications.services import notify
from app.observatory import services as observatory
from app.seasons.models import Cohort
from app.survey import services as survey_service
from tests.conftest import csrf_token, login
from tests.learning.helpers import build_course
from tests.seasons.factories import enroll, make_cohort, offering_for

TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


def open_survey_with_questions(title="Encuesta de la red"):
    """An open survey (dates around today) with one question of each kind."""
    from datetime import date, timedelta

    today = date.today()
    survey = survey_service.save_survey(
        None, title, "", "es", today - timedelta(days=5), today + timedelta(days=10)
    )
    survey_service.add_question(survey, "single", "¿Sigue abierta?", "Sí\nNo\nEn parte", True)
    survey_service.add_question(survey, "multiple", "¿Qué usa?", "Moodle\nBlackboard\nSMS", False)
    survey_service.add_question(survey, "number", "¿Cuántos docentes?", "", False)
    survey_service.add_question(survey, "short", "¿Plataforma?", "", False)
    survey_service.add_question(survey, "long", "¿Qué hicieron?", "", False)
    survey_service.open_survey(survey)
    return survey


def course_listing(**changes):
    """A member course as a coordinator lists it."""
    values = dict(
        title="Curso de soldadura en línea", description="", modality="self_paced",
        language="es", theme="digital", hours=40, free=True, url="https://campus.example.org/1",
    )  # fmt: skip
    values.update(changes)
    return directory.CourseListing(**values)


def published_entry(institution, author, title="Aprendizaje dual en pandemia"):
    """A published observatory entry of the institution, with one PDF."""
    draft = observatory.EntryDraft(
        texts={"es": observatory.EntryTexts(title, "Un resumen.", "Un **texto**.")},
        country_code=institution.country_code,
        themes=["apprenticeship"],
        audience="everyone",
    )
    entry = observatory.save_entry(None, institution, draft, author)
    observatory.add_file(entry, "guia.pdf", TINY_PDF)
    observatory.submit_entry(entry)
    observatory.publish_entry(entry, author)
    return entry


def certificate_for(user, course):
    """The user's certificate for the course, completed for the walk (PDF made on demand)."""
    enrollment = enroll(user, course)
    enrollment.completed_at = utcnow()
    db.session.flush()
    return issue_certificate(enrollment.id, render=False)[0]


def capstone_of():
    return db.session.scalar(select(Item).where(Item.kind == "capstone"))


def add_capstone(course):
    """A capstone item at the end of a course built by build_course."""
    module = course.modules[-1]
    item = Item(
        course_id=course.id,
        module=module,
        slug="capstone",
        kind="capstone",
        position=1000,
        title={"es": "Proyecto"},
        content={"brief_html": {"es": "<p>Brief</p>"}, "max_attempts": 3},
    )
    db.session.add(item)
    db.session.flush()
    capstones.save_rubric(
        item,
        {
            "pass_threshold": 1,
            "criteria": [
                {
                    "title": {"es": "Criterio"},
                    "description": None,
                    "levels": [
                        {"points": 0, "title": {"es": "No"}, "description": {"es": "No"}},
                        {"points": 2, "title": {"es": "Sí"}, "description": {"es": "Sí"}},
                    ],
                }
            ],
        },
    )
    return item


PUBLIC_ENDPOINTS = {
    "static",
    "core.index",
    "core.healthz",
    "core.favicon",
    "core.switch_language",
    "accounts.register",
    "accounts.check_email",
    "accounts.confirm_email",
    "accounts.login",
    "accounts.logout",
    "accounts.forgot_password",
    "accounts.reset_password",
    "accounts.accept_invitation",
    "accounts.second_factor",
    "accounts.passkey_sign_in_options",
    "accounts.passkey_sign_in",
    "privacy.notice",
    "core.stored_file",
    "catalog.catalog",
    "catalog.course",
    "certificates.verify_form",
    "certificates.verify",
    "certificates.verify_json",
    "certificates.check_file",
    "credentials.did_document",
    "credentials.status_list",
    "credentials.public_credential",
    "offline.web_manifest",  # the installable app's manifest: the same for everyone
    "offline.service_worker",  # the worker's code; it does nothing until a learner saves
    "notifications.unsubscribe",
    "observatory.index",
    "observatory.entry",
    "observatory.download",
    "observatory.feed",
    "directory.index",
    "numbers.numbers",
}

# A coordinator is a learner granted one institution (app/coordinators): the sample's.
COORDINATOR = "coordinator"
VISITORS = [None, Role.LEARNER, Role.TUTOR, Role.ADMIN, COORDINATOR]


def expected_access(endpoint: str, visitor: Role | None) -> str:
    """'open', 'login' (redirect to sign in) or 'forbidden', by the rules above."""
    if endpoint in PUBLIC_ENDPOINTS:
        return "open"
    if visitor is None:
        return "login"
    blueprint = endpoint.split(".")[0]
    if blueprint.endswith("_admin"):
        return "open" if visitor == Role.ADMIN else "forbidden"
    if blueprint.endswith("_tutor"):
        return "open" if visitor in (Role.TUTOR, Role.ADMIN) else "forbidden"
    if blueprint.endswith("_coordinator"):
        return "open" if visitor in (COORDINATOR, Role.ADMIN) else "forbidden"
    return "open"


def url_arguments(rule, sample) -> dict:
    values = {}
    own = sample.get(rule.endpoint, {})
    for argument in rule.arguments:
        if argument not in own and argument not in sample:
            pytest.fail(f"test_access does not know how to fill <{argument}> of {rule.rule}")
        values[argument] = own.get(argument, sample.get(argument))
    return values


def all_rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint)


@pytest.fixture
def sample(institutions, make_user, small_course):
    """Values for every URL argument the routes use, pointing at real rows.

    A key naming an endpoint holds values for that endpoint only.
    """
    someone = make_user(email="someone@example.org")
    stored = db.session.scalar(select(StoredFile))
    tutored = build_course("access-tutored", kind=CourseKind.TUTOR_LED, languages=["es"])
    capstone = add_capstone(tutored)
    cohort = make_cohort(tutored, seats=5)
    # Someone holds a seat, so the sample cohort outlives a delete attempt in the walk.
    place = enroll(someone, tutored, cohort)
    submission = capstones.start_submission(place, capstone)
    capstones.submit(submission, "My project", [("plan.pdf", TINY_PDF)])
    certificate = certificate_for(someone, small_course)
    name_request = corrections.request_correction(certificate, "Someone Corrected", "", someone)
    signatory = signatories.add_signatory(
        course_id=small_course.id, season_id=None, name="Ana", title="Directora", signature=PNG
    )
    partner = signatories.add_partner(course_id=small_course.id, name="SENAI", logo=PNG)
    render_document(certificate.id)  # its credential and status list exist
    job = jobs.start_job("certificates.issue", "A season", None)
    start_session(someone)
    someones_session = db.session.scalar(
        select(UserSession).where(UserSession.user_id == someone.id)
    )
    talk = discussions.start_thread(
        Place(cohort=cohort), someone, ThreadKind.DISCUSSION, "Hola", "Primer mensaje"
    )
    said = discussions.reply(
        talk, Place(cohort=cohort), someone, "Con archivo", [("a.pdf", TINY_PDF)]
    )
    self_paced = offering_for(small_course)
    news = notify(someone, "discussions.reply", "/", who="Ana", title="Hola")
    network = create_network("red-de-prueba", "Red de prueba")
    join_network(network, someone)
    network_talk = discussions.start_thread(
        Place(network=network), someone, ThreadKind.DISCUSSION, "En la red", "Hola, red"
    )
    network_post = db.session.scalar(select(Post).where(Post.thread_id == network_talk.id))
    member = make_user(email="member@example.org")
    member.institution_id = institutions[0].id
    entry = published_entry(institutions[0], member)
    survey = open_survey_with_questions()
    listed = directory.save_course(None, institutions[0], course_listing())
    survey_service.save_response(
        survey, institutions[0], member, "public",
        {survey.questions[0].id: "0", survey.questions[-1].id: "Una respuesta larga"},
    )  # fmt: skip
    db.session.commit()
    return {
        "certificate_id": certificate.id,
        "code": certificate.grouped_code,
        "request_id": name_request.id,
        "signatory_id": signatory.id,
        "partner_id": partner.id,
        "job_id": job.id,
        "list_id": 1,
        "submission_id": submission.id,
        "file_token": submission.history[0].files[0].token,
        "item_id": capstone.id,
        "season_id": cohort.offering.season_id,
        "offering_id": cohort.offering_id,
        "cohort_id": cohort.id,
        "enrollment_id": place.id,
        "filename": "aula.css",
        "user_id": someone.id,
        # Someone else's session: ending it from another account does nothing (no 404 either).
        "public_id": someones_session.public_id,
        "institution_id": institutions[0].id,
        "token": "not-a-valid-token",
        "course_slug": small_course.slug,
        "item_slug": "welcome",
        "learning.submit_quiz": {"item_slug": "basics-quiz"},
        "visits.tour_progress": {"item_slug": "visit-embed"},  # an embed: confirmed
        "visits.read_visit": {"item_slug": "visit-hosted"},
        "capstones.save": {"course_slug": "access-tutored", "item_slug": "capstone"},
        "core.stored_file": {"sha256": stored.sha256, "filename": stored.filename},
        "thread_id": talk.id,
        "post_id": said.id,
        "discussions.attachment": {"token": said.attachments[0].token},
        "discussions.course_board": {"offering_id": self_paced.id},
        "discussions_admin.course_reports": {"offering_id": self_paced.id},
        "notification_id": news.id,
        "slug": network.slug,
        "networks.moderate": {"post_id": network_post.id},
        "networks.lock": {"thread_id": network_talk.id},
        "coordinators_coordinator.person": {"user_id": member.id},
        "entry_id": entry.id,
        "file_id": entry.files[0].id,
        "survey_id": survey.id,
        "language": "pt",  # the sample survey is written in Spanish
        "course_id": listed.id,
        "question_id": survey.questions[-1].id,
    }


def make_coordinator(make_user, institution, **kwargs):
    """A learner registered with `institution` who coordinates it."""
    user = make_user(**kwargs)
    user.institution_id = institution.id
    db.session.flush()
    coordinators.grant_coordinator(user, institution, user)
    db.session.commit()
    return user


@pytest.mark.parametrize("visitor", VISITORS, ids=lambda v: str(v) if v else "anonymous")
def test_every_rule_gives_each_visitor_what_it_should(
    app, client, sample, login_as, make_user, visitor, small_course
):
    if visitor == COORDINATOR:
        user = make_coordinator(make_user, db.session.get(Institution, sample["institution_id"]))
        login(client, user)
    elif visitor is not None:
        user = login_as(visitor)
    if visitor is not None:
        # Object-level checks are tested on their own: here the visitor's own certificate.
        sample["certificate_id"] = certificate_for(user, small_course).id
        # The visitor's own place and project in the tutor-led sample course.
        cohort = db.session.get(Cohort, sample["cohort_id"])
        own = capstones.start_submission(
            enroll(user, cohort.offering.course, cohort), capstone_of()
        )
        capstones.save_draft(own, "Draft", [("mine.pdf", TINY_PDF)])
        sample["capstones.download"] = {"file_token": capstones.draft_files(own)[0].token}
        if visitor == Role.TUTOR:
            cohort = db.session.get(Cohort, sample["cohort_id"])
            cohort.tutors.append(user)
        # The visitor's own question on the sample cohort's board: they may mark its answer.
        question = discussions.start_thread(
            Place(cohort=cohort), user, ThreadKind.QUESTION, "¿Cuándo?", "¿Cuándo empieza?"
        )
        sample["discussions.mark_answer"] = {"thread_id": question.id}
        own_news = notify(user, "discussions.reply", "/", who="Ana", title="Hola")
        db.session.flush()
        sample["notifications.open_notification"] = {"notification_id": own_news.id}
        # Every visitor moderates the sample network (moderators need no role of their own).
        name_moderator(networks.network_by_slug(sample["slug"]), user.email)
        db.session.commit()
    token = csrf_token(client, "/")
    checked = 0
    for rule in all_rules(app):
        with app.test_request_context():
            url = url_for(rule.endpoint, **url_arguments(rule, sample))
        if "GET" in rule.methods:
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        expected = expected_access(rule.endpoint, visitor)
        location = response.headers.get("Location", "")
        where = f"{rule.endpoint} ({url}) as {visitor or 'anonymous'}: {response.status_code}"
        if expected == "login":
            assert response.status_code == 302 and location.startswith("/login"), where
        elif expected == "forbidden":
            assert response.status_code == 403, where
        else:
            assert response.status_code < 400, where
            assert not location.startswith("/login?"), where
        checked += 1
        if rule.endpoint == "accounts.logout":
            # Signing out clears the session, so sign back in and take the new form token.
            if visitor is not None:
                login(client, user)
            token = csrf_token(client, "/")
    assert checked == len(list(app.url_map.iter_rules()))


def test_admin_blueprints_refuse_learners_even_for_posts(client, sample, login_as):
    login_as(Role.LEARNER)
    token = csrf_token(client, "/")
    response = client.post(
        f"/admin/people/{sample['user_id']}", data={"csrf_token": token, "admin": "y"}
    )
    assert response.status_code == 403


def coordinator_rules(app):
    """Rules of coordinators' blueprints, and of any route naming an institution."""
    return [
        rule
        for rule in all_rules(app)
        if rule.endpoint.split(".")[0].endswith("_coordinator")
        and not rule.endpoint.endswith(".mine")
    ]


def test_a_coordinator_reaches_nothing_of_another_institution(
    app, client, sample, make_user, institutions
):
    """Coordinators of two institutions: every coordinators' URL of the first, visited (GET
    and POST) by the second's coordinator, answers 403 or 404 and changes nothing."""
    first = db.session.get(Institution, sample["institution_id"])
    second = next(i for i in institutions if i.id != first.id)
    make_coordinator(make_user, first, email="first@example.org")
    other = make_coordinator(make_user, second, email="second@example.org")
    login(client, other)
    token = csrf_token(client, "/")
    rules = coordinator_rules(app)
    assert rules
    for rule in rules:
        with app.test_request_context():
            url = url_for(rule.endpoint, **url_arguments(rule, sample))
        for method in ("GET", "POST"):
            if method not in rule.methods:
                continue
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token, "place": "1-0"})
            assert response.status_code in (403, 404), f"{rule.endpoint} {method} {url}"
    # Their own institution's pages are open to them.
    own = client.get(f"/institution/{second.id}")
    assert own.status_code == 200
    assert second.acronym in own.get_data(as_text=True)
