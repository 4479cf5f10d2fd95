"""Refusal is one path: every POST route, sent an input its rules refuse, changes no row.

Each POST route is listed in REFUSED with the input that is refused (through a service's
refusal wherever the route has one, else through its form), or in NOTHING_TO_REFUSE with the
reason it has no refusable input. A new POST route fails `test_every_post_route_is_listed`
until it is classified. The database is compared table by table, row by row, before and after
each request.
"""

import io
from datetime import date

import pytest
from flask import url_for
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Institution, Role
from app.capstones import services as capstones
from app.catalog.models import CourseKind, Item
from app.core.schedule import SCHEDULE
from app.discussions import services as discussions
from app.discussions.models import Post, ThreadKind
from app.discussions.services import Place
from app.extensions import db
from app.observatory import services as observatory
from app.seasons import services as seasons
from app.seasons.models import Cohort, Enrollment, Season
from app.survey import services as survey_service
from app.survey.models import Survey
from tests.conftest import TEST_PASSWORD, csrf_token, login
from tests.learning.helpers import build_course, enroll_directly
from tests.seasons.factories import days, enroll, make_cohort, make_season, offering_for
from tests.test_access import TINY_PDF, certificate_for, sample  # noqa: F401

GARBAGE_CSV = b"\xff\xfe\x00not a csv at all\x00"


# The security log's lines that a refused sign-in or a refused password check write on
# purpose (failed authentication is logged; tests/accounts/test_security_log.py checks them).
LOGGED_FAILURES = ("sign_in_failed", "second_factor_failed", "reauth_failed")


def rows_of(table):
    """A table's rows, except the security log's lines of failed authentication, a session's
    last-seen time (refreshed once a minute by any request that commits, refused form or not:
    the walk takes more than a minute on a busy machine), when the schedule last ran and the
    tasks it asked for."""
    query = select(table)
    if table.name == "security_event":
        query = query.where(table.c.kind.not_in(LOGGED_FAILURES))
    if table.name == "user_session":
        query = select(*(c for c in table.c if c.name != "last_seen_at"))
    if table.name == "schedule_run":
        return []  # the schedule's own bookkeeping, written by whichever worker looks at it
    if table.name == "background_task":
        # The schedule's tasks (pending mail every 15 minutes...), asked for by whichever job
        # worker a test of this process started looks at the schedule then: no route asks.
        query = query.where(table.c.name.not_in({e.task for e in SCHEDULE.values()}))
    return db.session.execute(query).all()


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, read fresh from the database."""
    db.session.expire_all()
    return {table.name: sorted(map(repr, rows_of(table))) for table in db.metadata.sorted_tables}


def difference(before: dict, after: dict) -> dict[str, tuple[list, list]]:
    """{table: (rows gone, rows new)} for every table that changed."""
    changed = {}
    for name in before:
        gone = sorted(set(before[name]) - set(after[name]))
        new = sorted(set(after[name]) - set(before[name]))
        if gone or new:
            changed[name] = (gone[:3], new[:3])
    return changed


def cohort_form(cohort: Cohort, **changes) -> dict:
    fields = {
        "name": cohort.name,
        "starts_on": cohort.starts_on.isoformat(),
        "ends_on": cohort.ends_on.isoformat(),
        "enroll_opens_on": cohort.enroll_opens_on.isoformat(),
        "enroll_closes_on": cohort.enroll_closes_on.isoformat(),
        "seats": str(cohort.seats),
        "language": cohort.language,
    }
    return {**fields, **changes}


# endpoint -> the refused input: form data, or a function of the scene returning it.
REFUSED = {
    # the person page's actions: each needs its reason (kept in the person's history)
    "accounts_admin.end_sessions": {"sessions-reason": ""},
    "accounts_admin.resend_confirmation": {"confirm-reason": ""},
    "seasons_admin.remove_enrollment": {"reason": "  "},
    # accounts
    "accounts.login": lambda s: {"email": s["admin"].email, "password": "not the password"},
    "accounts.register": lambda s: {
        "email": s["admin"].email,
        "full_name": "Someone Else",
        "country": "CO",
        "institution": str(s["institution_id"]),
        "represents": "vti",
        "locale": "es",
        "privacy_consent": "y",
        "password": "short",
        "confirm_password": "short",
    },
    "accounts.forgot_password": {"email": "not an email"},
    "accounts.reset_password": {"password": "a long new pass phrase 42", "confirm_password": "x"},
    "accounts.accept_invitation": {"password": "a long new pass phrase 42"},
    "accounts.change_password": {
        "current_password": "not the password",
        "password": "a long new pass phrase 42",
        "confirm_password": "a long new pass phrase 42",
    },
    "accounts.profile": {"full_name": "", "country": "XX"},
    "accounts.second_factor": {"code": "000000"},  # no sign-in waits for a second step
    "accounts.setup_app": {"code": "000000"},  # not the code of the app's secret
    "accounts.remove_app": {"password": "not the password"},
    "accounts.new_recovery_codes": {"password": TEST_PASSWORD},  # no second factor yet
    "accounts.add_passkey": {"credential": "not a credential"},
    "accounts.passkey_sign_in": {"credential": "not a credential"},
    "accounts_admin.person": {"tutor": "y"},  # drops the only administrator's role
    "privacy.delete_account": {"password": "not the password"},
    "privacy.confirm_delete": {"confirmation": "not a confirmation"},
    "accounts_admin.new_institution": lambda s: {
        "acronym": s["institution"].acronym,
        "name": "A copy",
        "country": s["institution"].country_code,  # the same acronym in the same country
        "active": "y",
    },
    "accounts_admin.edit_institution": lambda s: {
        "acronym": s["other_institution"].acronym,
        "name": "Renamed",
        "country": s["other_institution"].country_code,
    },
    "core.switch_language": {"locale": "xx"},
    # seasons (administrators)
    "seasons_admin.create_season": lambda s: {
        "name": s["season"].name,
        "starts_on": "2027-01-01",
        "ends_on": "2027-06-30",
    },
    "seasons_admin.season": lambda s: {
        "name": s["other_season"].name,
        "starts_on": "2027-01-01",
        "ends_on": "2027-06-30",
    },  # the name of another season: refused by update_season
    "seasons_admin.copy_season": lambda s: {
        "source": str(s["season"].id),
        "name": s["other_season"].name,
        "shift_days": "364",
    },
    "seasons_admin.open_season": None,  # an empty season cannot open (see scene)
    "seasons_admin.delete_season": None,  # it has courses and learners
    "seasons_admin.add_offering": lambda s: {"course": str(s["tutored_id"])},  # offered already
    "seasons_admin.offering": {"enroll_opens_on": "1990-01-01", "enroll_closes_on": "1990-01-02"},
    "seasons_admin.remove_offering": None,  # learners hold places in it
    "seasons_admin.new_cohort": lambda s: cohort_form(
        s["cohort"], name="Outside the season", starts_on="1990-01-01", ends_on="1990-02-01"
    ),
    "seasons_admin.cohort": lambda s: cohort_form(s["cohort"], seats="1"),  # 2 hold seats
    "seasons_admin.delete_cohort": None,  # learners hold seats in it
    "seasons_admin.open_cohort_early": None,  # it has started: open already (see scene)
    "enrollment_admin.enroll_cohort": {"file": (io.BytesIO(GARBAGE_CSV), "people.csv")},
    "enrollment_admin.enroll_offering": {"file": (io.BytesIO(GARBAGE_CSV), "people.csv")},
    # seasons (learners)
    "seasons.enroll": None,  # already enrolled in that course this season
    "seasons.enroll_in_cohort": None,  # the cohort is full (see scene)
    "seasons.join_waitlist": None,  # already holds a place in that course
    "seasons.withdraw": None,  # the season is closed (see scene)
    # learning
    "learning.mark_done": None,  # a quiz counts when passed, never by a click
    "learning.submit_quiz": {"attempt": "7", "q0": "0"},  # an out-of-date attempt number
    "visits.tour_progress": {"scene": "no-such-scene"},
    "learning_tutor.attempts": {"attempts": "0", "reason": "More time"},  # at least one
    "visits.read_visit": None,  # a lesson is not a study visit to read (see scene)
    # capstones
    "capstones.save": {"text": "Again", "submit_project": "y", "seen_versions": "1"},
    "capstones_admin.import_rubric": {"file": (io.BytesIO(GARBAGE_CSV), "rubric.csv")},
    "capstones_tutor.review": {"review_token": "0", "decision": "pass", "comment": "x"},
    "capstones_tutor.extension": {"until": "1990-01-01"},
    "capstones_tutor.enrollment_extension": {"until": "1990-01-01"},
    "seasons_tutor.message": {"subject": "", "message": ""},
    "seasons_tutor.message_learner": {"subject": "Two\nlines", "message": "x"},
    # certificates
    "certificates.change_language": {"language": "xx"},
    "certificates.check_file": {"pdf": (io.BytesIO(b"not a pdf"), "cert.pdf")},
    "certificates_admin.revoke": {"reason": ""},
    "certificates_admin.restore": {"reason": "It was never revoked"},
    "certificates.request_name_correction": {"name": "\x00"},
    "certificates_admin.decide_name_request": {"decision": "approve", "reason": ""},
    "certificates_admin.add_signatory": lambda scene: {
        "signatory-course_id": str(scene["tutored_id"]),
        "signatory-name": "Ana",
        "signatory-title": "Directora",
        "signatory-signature": (io.BytesIO(b"<svg onload=alert(1)>"), "signature.png"),
    },
    "certificates_admin.add_partner": lambda scene: {
        "partner-course_id": str(scene["tutored_id"]),
        "partner-name": "SENAI",
        "partner-logo": (io.BytesIO(TINY_PDF), "logo.png"),
    },
    "visits_admin.embed_hosts": {"hosts": "not a host!\n*.example.org"},
    # offline: only the worker's JSON is taken (a form is sent to the saved courses); a JSON
    # action the rules refuse keeps its key and reason, by design (tests/offline)
    "offline.replay": {"key": "0" * 32, "kind": "done", "course": "small-example"},
    # discussions
    "discussions.cohort_board": {"title": "", "kind": "discussion", "body": "x"},
    "discussions.course_board": {"title": "Hola", "kind": "private", "body": "x"},
    "discussions.thread": {"body": "x" * 20_001},
    "discussions.questions": {"title": "Two\nlines", "body": "x"},
    "discussions.mark_answer": lambda s: {"post": str(s["opening_post_id"])},  # the question
    "discussions.report": {"reason": ""},
    "discussions_tutor.moderate": {"action": "hide", "reason": ""},
    "discussions_tutor.lock": {"reason": ""},
    # notifications
    "notifications.settings": {"kind_discussions__reply": "sms"},
    "notifications.unsubscribe": {"List-Unsubscribe": "One-Click"},  # a token never signed
    "notifications.open_notification": None,  # someone else's notification: not found
    # thematic networks
    "networks.board": {"title": "", "kind": "discussion", "body": "x"},
    "networks.moderate": {"action": "hide", "reason": ""},
    "networks.lock": {"reason": ""},
    "networks_admin.manage": {"name": "Copia", "slug": "red-de-prueba"},  # taken
    "networks_admin.add_moderator": {"email": "nobody@example.org"},  # no such account
    # coordinators
    "coordinators_admin.coordinators": lambda s: {"email": s["admin"].email},  # not a member
    "coordinators_coordinator.person": lambda s: {"place": s["full_place"]},  # CohortFull
    "coordinators_coordinator.home": lambda s: {
        "people": [s["member_id"]],
        "place": s["full_place"],
    },  # CohortFull
    # observatory
    "observatory_coordinator.new_entry": {
        "title_es": "x" * 5000,  # far too long a title
        "summary_es": "<script>alert(1)</script>",
        "country": "CO",
        "themes": "osh",
        "audience": "everyone",
    },
    "observatory_coordinator.edit_entry": {
        "title_es": "Título",
        "summary_es": "Resumen",
        "country": "CO",
        "themes": "osh",
        "audience": "everyone",
        "links": "javascript:alert(1) click me",
    },
    "observatory_coordinator.add_file": {
        "file": (io.BytesIO(b"<html><script>alert(1)</script></html>"), "guide.pdf")
    },
    "observatory_coordinator.submit_entry": None,  # the sample entry is published already
    "observatory_coordinator.remove_file": None,  # a published entry's files stay
    "observatory_admin.publish": None,  # published already
    "observatory_admin.send_back": {"comment": "   "},  # says nothing
    # survey
    "survey_admin.surveys": {
        "title": "\x00",
        "language": "es",
        "opens_on": "2027-01-01",
        "closes_on": "2027-02-01",
    },
    "survey_admin.survey": {
        "title": "Encuesta",
        "language": "es",
        "opens_on": "2027-02-01",
        "closes_on": "2027-01-01",
    },  # closes before it opens
    "survey_admin.add_question": {"kind": "single", "prompt": "¿Sí?", "choices": "Sí"},
    "survey_admin.remove_question": None,  # institutions have answered
    "survey_admin.translation": {"title": "Pesquisa da rede"},  # its questions untranslated
    "survey_admin.open_survey": None,  # a survey without questions (see scene)
    "survey_admin.remind": None,  # a draft survey: not open (see scene)
    "survey_coordinator.answer": lambda s: {
        "institution_kind": "public",
        f"q{s['single_question_id']}": "99",  # not a choice offered
        f"q{s['long_question_id']}": "Cambiada",
    },
    "survey_coordinator.answer_to_entry": None,  # a choice question (see scene)
    # directory
    "directory_coordinator.new_course": {
        "title": "Curso",
        "modality": "self_paced",
        "language": "es",
        "theme": "digital",
        "url": "javascript:alert(1)",
    },
    "directory_coordinator.edit_course": {
        "title": "<script>" * 100,
        "modality": "self_paced",
        "language": "es",
        "theme": "digital",
        "url": "https://example.org",
    },  # a title far too long
}

# POST routes whose action takes no input that could be refused, and why.
NOTHING_TO_REFUSE = {
    "accounts.logout": "signing out always succeeds",
    "accounts.end_session": "a session not one's own, or already ended, is left alone, by design",
    "accounts.end_other_sessions": "signing out elsewhere always succeeds",
    "accounts_admin.reset_factors": "an administrator may remove anyone's factors (audited)",
    "accounts.remove_passkey": "a passkey not one's own, or already gone, is left alone",
    "accounts.passkey_options": "options change no row (the challenge waits in the cookie)",
    "accounts.passkey_sign_in_options": "options change no row (the challenge waits in the cookie)",
    "privacy.accept_notice": "accepting the notice in force again keeps the first acceptance",
    "seasons.leave_waitlist": "leaving a list one is not on changes nothing, by design",
    "seasons_admin.close_season": "closing is allowed in every state (closing twice is a no-op)",
    "certificates_admin.reissue": "any certificate may be printed again",
    "certificates_admin.issue_for_season": "a season with nothing to issue starts no job",
    "certificates_admin.remove_signatory": "any signatory may be removed (issued ones stay)",
    "certificates_admin.remove_partner": "any partner may be removed (issued ones stay)",
    "offline.data_saver": "data saver on or off: both are allowed",
    "notifications.mark_all_read": "marking one's own news as read always succeeds",
    "networks.join": "anyone registered may join; joining twice changes nothing",
    "networks.leave": "leaving a network one is not in changes nothing, by design",
    "coordinators_admin.remove_coordinator": "removing a role nobody holds changes nothing",
    "survey_admin.close_survey": "closing is allowed in every state (closing twice is a no-op)",
    "directory_coordinator.remove_course": "an institution may take any of its courses away",
}

ANONYMOUS = {
    "accounts.login",
    "accounts.register",
    "accounts.forgot_password",
    "accounts.reset_password",
    "accounts.accept_invitation",
    "accounts.second_factor",
    "accounts.passkey_sign_in",
    "notifications.unsubscribe",
}


def post_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if "POST" in r.methods), key=lambda r: r.endpoint
    )


def shows_a_redirect(response) -> bool:
    """A 4xx answer that is a redirect: browsers follow no redirect from a 4xx, they show its
    body ("Redirecting..."), so the person sees neither the reason nor what to do next."""
    return 400 <= response.status_code < 500 and (
        "Location" in response.headers or "Redirecting..." in response.get_data(as_text=True)
    )


def test_every_post_route_is_listed(app):
    endpoints = {rule.endpoint for rule in post_rules(app)}
    assert endpoints == set(REFUSED) | set(NOTHING_TO_REFUSE)
    assert not set(REFUSED) & set(NOTHING_TO_REFUSE)


@pytest.fixture
def scene(app, client, make_user, sample, small_course):  # noqa: F811
    """An administrator who is also a learner and a tutor, with a place in every course, a
    full cohort, a closed season and a second season and institution to collide with."""
    admin = make_user(role=Role.ADMIN, email="walker@example.org")
    admin.is_tutor = True
    cohort = db.session.get(Cohort, sample["cohort_id"])
    cohort.tutors.append(admin)
    place = enroll(admin, cohort.offering.course, cohort)
    submission = capstones.start_submission(place, db.session.get(Item, sample["item_id"]))
    capstones.submit(submission, "My project", [("plan.pdf", TINY_PDF)])
    cohort.seats = 2  # `someone` and the walker: full
    enroll_directly(admin, small_course)
    own_certificate = certificate_for(make_user(), small_course)
    own_certificate.user_id = admin.id
    other_season = make_season("Another season")
    empty_season = make_season("An empty season", state=seasons.SeasonState.DRAFT)
    closed = make_season("A closed season", state=seasons.SeasonState.DRAFT)
    closed_course = build_course("closed-course")
    offering_for(closed_course, closed)
    db.session.add(Enrollment(user_id=admin.id, course_id=closed_course.id, season_id=closed.id))
    closed.state = seasons.SeasonState.CLOSED
    # A full cohort of a course the walker has no place in: enrolling is refused (CohortFull).
    full_course = build_course("full-course", kind=CourseKind.TUTOR_LED)
    full = make_cohort(full_course, seats=1)
    enroll(make_user(), full_course, full)
    started = make_cohort(full_course, name="Started", starts_on=days(-5))
    institutions = db.session.scalars(select(Institution).order_by(Institution.id)).all()
    # A question on the cohort's board: its opening post can never be its own answer.
    question = discussions.start_thread(
        Place(cohort=cohort), admin, ThreadKind.QUESTION, "¿Cuándo?", "¿Cuándo empieza?"
    )
    opening_post_id = question.id and db.session.scalar(
        select(Post.id).where(Post.thread_id == question.id)
    )
    draft = observatory.save_entry(
        None,
        institutions[0],
        observatory.EntryDraft(
            texts={"es": observatory.EntryTexts("Borrador", "Resumen", "")},
            country_code="CO",
            themes=["osh"],
            audience="everyone",
        ),
        admin,
    )
    empty_survey = survey_service.save_survey(
        None, "Sin preguntas", "", "es", date(2027, 1, 1), date(2027, 2, 1)
    )
    survey = db.session.get(Survey, sample["survey_id"])
    db.session.commit()
    login(client, admin)
    return {
        "admin": admin,
        "season": cohort.offering.season,
        "other_season": other_season,
        "cohort": cohort,
        "tutored_id": cohort.offering.course_id,
        "institution": institutions[0],
        "other_institution": institutions[1],
        "institution_id": institutions[0].id,
        "opening_post_id": opening_post_id,
        "full_place": f"{full.offering_id}-{full.id}",
        "member_id": sample["coordinators_coordinator.person"]["user_id"],
        "single_question_id": survey.questions[0].id,
        "long_question_id": survey.questions[-1].id,
        "urls": {
            "discussions.mark_answer": {"thread_id": question.id},
            "certificates.change_language": {"certificate_id": own_certificate.id},
            "certificates.request_name_correction": {"certificate_id": own_certificate.id},
            "accounts_admin.person": {"user_id": admin.id},
            "accounts_admin.edit_institution": {"institution_id": institutions[0].id},
            "seasons_admin.open_season": {"season_id": empty_season.id},
            "seasons_admin.open_cohort_early": {"cohort_id": started.id},
            "seasons.enroll": {"offering_id": cohort.offering_id},
            "seasons.enroll_in_cohort": {"cohort_id": full.id},
            "seasons.withdraw": {"course_slug": closed_course.slug},
            "learning.mark_done": {"item_slug": "basics-quiz"},
            "visits.tour_progress": {"item_slug": "visit-hosted"},
            "visits.read_visit": {"item_slug": "welcome"},
            "capstones.save": {"course_slug": "access-tutored", "item_slug": "capstone"},
            "capstones_tutor.review": {"submission_id": submission.id},
            "observatory_coordinator.edit_entry": {"entry_id": draft.id},
            "observatory_coordinator.add_file": {"entry_id": draft.id},
            "survey_admin.open_survey": {"survey_id": empty_survey.id},
            "survey_admin.remind": {"survey_id": empty_survey.id},
            "survey_coordinator.answer_to_entry": {"question_id": survey.questions[0].id},
        },
    }


def test_a_refused_post_changes_no_row(app, client, sample, scene):  # noqa: F811
    anonymous = app.test_client()
    failures = []
    for rule in post_rules(app):
        endpoint = rule.endpoint
        if endpoint not in REFUSED:
            continue
        who = anonymous if endpoint in ANONYMOUS else client
        arguments = {**sample, **sample.get(endpoint, {}), **scene["urls"].get(endpoint, {})}
        with app.test_request_context():
            url = url_for(endpoint, **{a: arguments[a] for a in rule.arguments})
        data = REFUSED[endpoint]
        data = data(scene) if callable(data) else dict(data or {})
        token = csrf_token(who, "/login" if who is anonymous else "/")
        before = snapshot()
        response = who.post(url, data={**data, "csrf_token": token})
        after = snapshot()
        if response.status_code >= 500:
            failures.append(f"{endpoint}: {response.status_code}")
        elif shows_a_redirect(response):
            failures.append(f"{endpoint}: a {response.status_code} whose body is a redirect")
        elif changed := difference(before, after):
            failures.append(f"{endpoint} ({response.status_code}) changed {changed}")
    assert not failures, "\n".join(failures)


def test_a_post_without_its_form_token_changes_no_row(app, client, sample, scene):  # noqa: F811
    failures = []
    for rule in post_rules(app):
        arguments = {**sample, **sample.get(rule.endpoint, {})}
        with app.test_request_context():
            url = url_for(rule.endpoint, **{a: arguments[a] for a in rule.arguments})
        before = snapshot()
        response = client.post(url, data={"reason": "x", "text": "x"})
        changed = difference(before, snapshot())
        if response.status_code != 400 or shows_a_redirect(response) or changed:
            failures.append(f"{rule.endpoint}: {response.status_code} {changed or ''}")
    assert not failures, "\n".join(failures)


def test_update_season_refused_by_its_service_keeps_the_season(app, client, scene):
    season, other = scene["season"], scene["other_season"]
    name, starts = season.name, season.starts_on
    token = csrf_token(client, "/")
    response = client.post(
        f"/admin/seasons/{season.id}",
        data={
            "csrf_token": token,
            "name": other.name,
            "starts_on": "2030-01-01",
            "ends_on": "2030-06-30",
        },
    )
    assert response.status_code == 200  # the form again, with the reason
    db.session.expire_all()
    kept = db.session.get(Season, season.id)
    assert (kept.name, kept.starts_on) == (name, starts)
    assert kept.starts_on != date(2030, 1, 1)


def test_a_refusal_keeps_what_the_view_writes_after_it(app, client, make_user):
    """Signing in unconfirmed is refused, and the new confirmation link is still sent."""
    from tests.conftest import outbox, post_form

    user = make_user(confirmed=False)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = post_form(client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert "confirm your email first" in response.get_data(as_text=True)
    assert [m.recipient for m in outbox()] == [user.email]
    assert accounts.find_user_by_email(user.email).email_confirmed_at is None


def test_a_refusal_raised_in_a_request_undoes_what_the_request_wrote(app):
    from app.core.refusals import Refusal

    with app.test_request_context("/", method="POST"):
        db.session.add(
            Institution(
                acronym="TMP",
                name_es="Escrita",
                name_pt="Escrita",
                name_en="Written, then refused",
                country_code="CO",
            )
        )
        db.session.flush()
        try:
            raise Refusal("refused after a flush")
        except Refusal:
            pass  # a view that catches it and answers with a form or a flash
        db.session.commit()
    assert db.session.scalar(select(Institution).where(Institution.acronym == "TMP")) is None


def test_an_uncaught_refusal_is_a_page_with_its_reason(app):
    from app import create_app
    from app.core.refusals import Refusal

    own = create_app({"TESTING": True})  # the same database; a route of its own

    @own.get("/refuse")
    def refuse():
        db.session.add(
            Institution(
                acronym="TMP",
                name_es="Rechazada",
                name_pt="Recusada",
                name_en="Refused",
                country_code="CO",
            )
        )
        db.session.flush()
        raise Refusal("The reason, for the person.")

    response = own.test_client().get("/refuse", headers={"Accept-Language": "en"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "The reason, for the person." in page and "Not possible now" in page
    assert db.session.scalar(select(Institution).where(Institution.acronym == "TMP")) is None
