"""Privacy: consent at registration, a person's own data as JSON, and deleting an account
(two steps, one transaction, nothing personal left but a certificate's public record)."""

import json
import re

import pytest
from sqlalchemy import select

from app.accounts import privacy, services
from app.accounts.models import Role, User, UserSession
from app.accounts.privacy import NOTICE_VERSION, PrivacyConsent
from app.capstones import services as capstones
from app.capstones.models import Decision
from app.catalog.models import CourseKind
from app.certificates import services as certificates
from app.certificates.models import Certificate
from app.core import privacy as registry
from app.core.db import utcnow
from app.core.refusals import Refusal
from app.extensions import db
from app.learning import services as learning
from app.seasons.models import Cohort, Enrollment, WaitlistEntry
from app.visits import services as visits
from tests.accounts.test_registration import registration
from tests.conftest import TEST_PASSWORD, count_users, csrf_token, login, outbox, post_form
from tests.learning.helpers import RIGHT, WRONG, build_course, item_by_slug
from tests.seasons.factories import enroll, make_cohort
from tests.test_access import TINY_PDF, add_capstone
from tests.test_refusals import difference, snapshot

EXPORT_URL = "/account/privacy/my-data.json"


# Consent at registration -------------------------------------------------------------------


def test_registering_records_which_notice_was_accepted_and_when(client, institutions):
    before = utcnow()
    response = post_form(client, "/register", registration(institutions))
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    (consent,) = db.session.scalars(select(PrivacyConsent)).all()
    assert consent.user_id == user.id
    assert consent.notice_version == NOTICE_VERSION
    assert before <= consent.accepted_at <= utcnow()


@pytest.mark.parametrize("value", [None, "", "false"])
def test_registering_without_accepting_the_notice_is_refused(client, institutions, value):
    data = registration(institutions)
    data.pop("privacy_consent")
    if value is not None:
        data["privacy_consent"] = value
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = post_form(client, "/register", data)
    assert response.status_code == 200
    assert "Please accept the privacy notice to register." in response.get_data(as_text=True)
    assert count_users() == 0
    assert outbox() == []
    assert db.session.scalar(select(PrivacyConsent)) is None


def test_the_service_refuses_a_registration_without_the_notice_in_force(app, institutions):
    data = services.Registration(
        email="x@example.org",
        full_name="X Y",
        password="cuaderno verde del taller",
        country_code="UY",
        represents=services.Represents.VTI,
        institution_id=institutions[0].id,
        institution_other=None,
        locale="es",
        accepted_notice="2019-01-01",  # an old notice is not the one shown
    )
    with (
        app.test_request_context("/register", method="POST"),
        pytest.raises(privacy.ConsentMissing),
    ):
        services.register(data)
    assert count_users() == 0


@pytest.mark.parametrize(
    ("language", "heading", "what"),
    [
        ("es", "Sus datos, en breve", "Por qué"),
        ("pt", "Seus dados, em resumo", "Por quê"),
        ("en", "Your data, in short", "Who sees it"),
    ],
)
def test_the_registration_page_shows_the_short_notice_in_the_readers_language(
    client, institutions, language, heading, what
):
    page = client.get("/register", headers={"Accept-Language": language}).get_data(as_text=True)
    assert heading in page and what in page
    assert 'name="privacy_consent"' in page
    assert 'href="/privacy"' in page
    notice = client.get("/privacy", headers={"Accept-Language": language})
    assert notice.status_code == 200
    assert heading in notice.get_data(as_text=True)
    assert NOTICE_VERSION in notice.get_data(as_text=True)


def test_someone_whose_account_was_made_for_them_accepts_the_notice_once(client, make_user):
    user = make_user()  # made by a command or an invitation: never ticked the box
    login(client, user)
    page = client.get("/account/privacy").get_data(as_text=True)
    assert "/account/privacy/accept" in page
    for _ in range(2):
        response = post_form(client, "/account/privacy/accept", {}, form_page="/account/privacy")
        assert response.status_code == 302
    (consent,) = db.session.scalars(select(PrivacyConsent)).all()
    assert (consent.user_id, consent.notice_version) == (user.id, NOTICE_VERSION)
    page = client.get("/account/privacy").get_data(as_text=True)
    assert "/account/privacy/accept" not in page
    assert NOTICE_VERSION in page


def test_the_notice_says_what_stays_after_deletion(client):
    page = client.get("/privacy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "public record stays" in page
    assert "still be able to check that it is genuine" in page


# A person with something in every area --------------------------------------------------------


def as_lists(answers: dict) -> dict[str, list[str]]:
    """The form's answers (q0: "1") as the service takes them ("0": ["1"])."""
    return {k.removeprefix("q"): [v] if isinstance(v, str) else v for k, v in answers.items()}


@pytest.fixture
def learner_world(app, make_user, small_course):
    """A learner with a place, progress, quiz attempts, a seen tour scene and a certificate in
    the small course; a reviewed capstone (with files) in a tutor-led cohort that is full with
    someone waiting; a place on another cohort's waiting list; a mail; a consent."""
    learner = make_user(email="lucia@example.org", full_name="Lucía Fernández Tejada")
    tutor = make_user(role=Role.TUTOR, email="tutor@example.org")
    other = make_user(email="other@example.org", full_name="Otra Persona")
    waiting = make_user(email="waiting@example.org", full_name="Espera Paciente")
    db.session.add(PrivacyConsent(user_id=learner.id, notice_version=NOTICE_VERSION))

    # Self-paced: progress, attempts, a tour scene, completion and a certificate.
    place = enroll(learner, small_course)
    quiz = item_by_slug("small-example", "basics-quiz")
    learning.submit_quiz(place, quiz, 1, as_lists(WRONG))
    learning.submit_quiz(place, quiz, 2, as_lists(RIGHT))
    learning.mark_done(place, item_by_slug("small-example", "welcome"))
    visits.record_scene_seen(place, item_by_slug("small-example", "visit-hosted"), "hall")
    place.completed_at = utcnow()
    db.session.flush()
    certificate, _ = certificates.issue_certificate(place.id, render=False)
    certificates.change_language(certificate, "pt", certificates.Actor.person(learner))

    # Tutor-led: a full cohort (learner + other), someone waiting, a reviewed project.
    tutored = build_course("privacy-tutored", kind=CourseKind.TUTOR_LED)
    capstone = add_capstone(tutored)
    cohort = make_cohort(tutored, seats=2, tutors=[tutor])
    seat = enroll(learner, tutored, cohort)
    enroll(other, tutored, cohort)
    db.session.add(WaitlistEntry(cohort_id=cohort.id, user_id=waiting.id))
    submission = capstones.start_submission(seat, capstone)
    capstones.submit(submission, "Mi proyecto de aprendizaje", [("plan-lucia.pdf", TINY_PDF)])
    capstones.review(
        submission,
        tutor,
        seen_token=submission.review_token,
        levels=[0],
        comment="Falta el cronograma.",
        decision=Decision.REVISE,
    )
    # The learner waits for a seat in another full cohort.
    busy = build_course("privacy-busy", kind=CourseKind.TUTOR_LED)
    full = make_cohort(busy, seats=1)
    enroll(other, busy, full)
    db.session.add(WaitlistEntry(cohort_id=full.id, user_id=learner.id))
    db.session.commit()
    return {
        "learner": learner,
        "tutor": tutor,
        "other": other,
        "waiting": waiting,
        "certificate_code": certificate.code,
        "cohort_id": cohort.id,
    }


def download(client) -> dict:
    response = client.get(EXPORT_URL)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response.headers["Cache-Control"]
    return json.loads(response.get_data(as_text=True))


# Export ----------------------------------------------------------------------------------------


def test_the_export_holds_everything_about_the_person(client, learner_world):
    learner = learner_world["learner"]
    login(client, learner)
    data = download(client)
    text = json.dumps(data, ensure_ascii=False)

    assert data["format"] == "aula-personal-data"
    assert data["account"]["email"] == "lucia@example.org"
    assert data["account"]["full_name"] == "Lucía Fernández Tejada"
    assert [c["notice_version"] for c in data["privacy_consents"]] == [NOTICE_VERSION]
    assert len(data["sessions"]) == 1  # this sign-in
    assert {e["course"] for e in data["enrollments"]} == {"small-example", "privacy-tutored"}
    assert [(a["number"], a["passed"]) for a in data["quiz_attempts"]] == [(1, False), (2, True)]
    assert data["quiz_attempts"][0]["answers"]
    assert "welcome" in {p["item"] for p in data["progress"]}
    assert [s["scene"] for s in data["tour_scenes_seen"]] == ["hall"]
    (project,) = data["capstone_projects"]
    assert project["versions"][0]["text"] == "Mi proyecto de aprendizaje"
    assert project["versions"][0]["files"][0]["filename"] == "plan-lucia.pdf"
    assert project["reviews"][0]["comment"] == "Falta el cronograma."
    assert project["reviews"][0]["decision"] == "revise"
    (certificate,) = data["certificates"]
    assert certificate["learner_name"] == "Lucía Fernández Tejada"
    assert [(h["action"], h["by"]) for h in certificate["history"]] == [
        ("issued", "platform"),
        ("language", "you"),
    ]
    assert [w["cohort"] for w in data["waiting_lists"]] == ["Cohort 1"]
    assert data["waiting_lists"][0]["place_in_line"] == 1
    # The tutor's review was mailed to the learner.
    assert data["mails"] and all(m["subject"] and m["created_at"] for m in data["mails"])
    # Secrets and other people stay out of it.
    assert "argon2" not in text and "password_hash" not in text and "key_hash" not in text
    assert "other@example.org" not in text and "Otra Persona" not in text
    assert "waiting@example.org" not in text
    assert "tutor@example.org" not in text


def test_the_export_lists_the_mails_sent_to_the_person_only(client, learner_world):
    learner = learner_world["learner"]
    services.request_password_reset(learner.email)
    services.request_password_reset(learner_world["other"].email)
    db.session.commit()
    login(client, learner)
    mails = download(client)["mails"]
    assert len(mails) == len(outbox(learner.email)) >= 1
    assert all("Otra Persona" not in m["body"] for m in mails)


def test_every_part_of_the_export_is_valid_json_for_someone_with_nothing(client, make_user):
    user = make_user()
    login(client, user)
    data = download(client)
    for part in registry.parts():
        assert part.name in data
    assert data["enrollments"] == [] and data["certificates"] == []


def test_an_administrator_downloads_only_their_own_data(client, learner_world, login_as):
    admin = login_as(Role.ADMIN, email="boss@example.org")
    data = download(client)
    assert data["account"]["email"] == admin.email
    assert "lucia@example.org" not in json.dumps(data)
    # No route takes a person: nobody can name someone else's data in a URL.
    rules = [
        r for r in client.application.url_map.iter_rules() if r.endpoint.startswith("privacy.")
    ]
    assert rules and all(not r.arguments for r in rules)
    assert (
        client.get(f"{EXPORT_URL}?user_id={learner_world['learner'].id}")
        .get_data(as_text=True)
        .count("lucia@example.org")
        == 0
    )


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in (EXPORT_URL, "/account/privacy", "/account/delete"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/privacy").status_code == 200


# Deleting ---------------------------------------------------------------------------------------

CONFIRM_RE = re.compile(r'name="confirmation" type="hidden" value="([^"]+)"')


def confirmation_of(client, password=TEST_PASSWORD) -> str:
    response = post_form(client, "/account/delete", {"password": password})
    assert response.status_code == 200
    match = CONFIRM_RE.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return match.group(1)


def confirm(client, token):
    return post_form(
        client, "/account/delete/confirm", {"confirmation": token}, form_page="/account/delete"
    )


def rows_mentioning(*needles) -> list[str]:
    """'table: row' for every row of every table whose text holds one of the needles."""
    found = []
    for name, rows in snapshot().items():
        for row in rows:
            if any(needle in row for needle in needles):
                found.append(f"{name}: {row[:200]}")
    return found


def test_deleting_leaves_nothing_personal_but_the_certificate_record(app, client, learner_world):
    learner = learner_world["learner"]
    learner_id = learner.id
    other_session = app.test_client()
    login(other_session, learner)
    login(client, learner)
    token = confirmation_of(client)

    response = confirm(client, token)

    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Su cuenta y sus datos se eliminaron." in home
    db.session.expire_all()
    assert db.session.get(User, learner_id) is None
    # Every session ended: this one and the one on another device.
    assert db.session.scalar(select(UserSession).where(UserSession.user_id == learner_id)) is None
    assert other_session.get("/account/privacy").status_code == 302

    # No row anywhere holds the email; the name only in the certificate's public record.
    assert rows_mentioning("lucia@example.org") == []
    named = rows_mentioning("Lucía Fernández Tejada")
    assert named and all(line.startswith("certificate:") for line in named), named
    # Nothing points at the account or hangs on its places.
    assert (
        db.session.scalars(select(Enrollment).where(Enrollment.user_id == learner_id)).all() == []
    )
    assert (
        db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.user_id == learner_id)) is None
    )
    emptied = (
        "item_progress",
        "quiz_attempt",
        "tour_scene_view",
        "capstone_submission",
        "capstone_version",
        "capstone_file",
        "capstone_review",
        "privacy_consent",
    )
    for table in emptied:
        assert snapshot()[table] == [], table

    # The certificate still verifies, with the name as printed, linked to no one.
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.code == learner_world["certificate_code"])
    )
    assert certificate.user_id is None and certificate.enrollment_id is None
    assert certificate.learner_name == "Lucía Fernández Tejada"
    assert all(e.actor_label != "lucia@example.org" for e in certificate.events)
    page = client.get(f"/verify/{certificate.grouped_code}").get_data(as_text=True)
    assert "Lucía Fernández Tejada" in page

    # The freed seat went to the person waiting, who was told by mail.
    cohort = db.session.get(Cohort, learner_world["cohort_id"])
    waiting = learner_world["waiting"]
    assert db.session.scalar(
        select(Enrollment).where(
            Enrollment.user_id == waiting.id, Enrollment.cohort_id == cohort.id
        )
    )
    assert cohort.seats_taken == 2
    assert outbox(waiting.email)
    # Everyone else keeps what they had.
    assert db.session.get(User, learner_world["other"].id) is not None
    assert db.session.get(User, learner_world["tutor"].id) is not None


def test_a_wrong_password_changes_nothing(client, learner_world):
    login(client, learner_world["learner"])
    before = snapshot()
    response = post_form(client, "/account/delete", {"password": "not my password at all"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "La contraseña no es correcta." in page
    assert 'name="confirmation"' not in page
    assert difference(before, snapshot()) == {}


@pytest.mark.parametrize("token", ["", "forged", "eyJ1IjoxfQ.forged.sig"])
def test_a_forged_or_missing_confirmation_changes_nothing(client, learner_world, token):
    login(client, learner_world["learner"])
    before = snapshot()
    response = confirm(client, token)
    assert response.status_code == 200
    assert difference(before, snapshot()) == {}


@pytest.mark.parametrize(
    ("url", "field", "value"),
    [
        ("/account/delete", "password", "x" * 100_000),
        ("/account/delete", "password", "\x00<script>alert(1)</script>"),
        ("/account/delete/confirm", "confirmation", "a" * 100_000),
        ("/account/delete/confirm", "confirmation", "../../etc/passwd\x00"),
    ],
)
def test_huge_and_hostile_input_is_refused_and_changes_nothing(
    client, learner_world, url, field, value
):
    login(client, learner_world["learner"])
    before = snapshot()
    response = post_form(client, url, {field: value}, form_page="/account/delete")
    assert response.status_code in (200, 413)
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert difference(before, snapshot()) == {}


def test_a_confirmation_expires(client, learner_world, monkeypatch):
    login(client, learner_world["learner"])
    token = confirmation_of(client)
    monkeypatch.setattr(privacy, "CONFIRM_MAX_AGE", -1)
    before = snapshot()
    response = confirm(client, token)
    assert "La confirmación tardó demasiado." in response.get_data(as_text=True)
    assert difference(before, snapshot()) == {}


def test_a_confirmation_is_good_for_its_own_account_only(app, client, learner_world):
    login(client, learner_world["learner"])
    token = confirmation_of(client)
    thief = app.test_client()
    login(thief, learner_world["other"])
    before = snapshot()
    assert confirm(thief, token).status_code == 200
    assert difference(before, snapshot()) == {}


def test_a_confirmation_ends_when_the_password_changes(client, learner_world):
    learner = learner_world["learner"]
    login(client, learner)
    token = confirmation_of(client)
    new = "otra frase bastante larga 99"
    response = post_form(
        client,
        "/account/password",
        {"current_password": TEST_PASSWORD, "password": new, "confirm_password": new},
    )
    assert response.status_code == 302
    before = snapshot()
    assert confirm(client, token).status_code == 200
    assert difference(before, snapshot()) == {}


def test_the_last_administrator_cannot_delete_their_account(client, login_as):
    admin = login_as(Role.ADMIN)
    before = snapshot()
    response = post_form(client, "/account/delete", {"password": TEST_PASSWORD})
    assert "Usted es el último administrador" in response.get_data(as_text=True)
    assert difference(before, snapshot()) == {}
    assert db.session.get(User, admin.id) is not None


def test_a_refusal_part_way_through_deleting_undoes_everything(client, learner_world, monkeypatch):
    """An area that refuses after others have erased: nothing is half-deleted."""

    def refuse(user):
        raise Refusal("refused after the others erased")

    boom = registry.PersonalData("boom", (), lambda user: None, refuse, erase_order=95)
    monkeypatch.setitem(registry._PARTS, "boom", boom)
    login(client, learner_world["learner"])
    token = confirmation_of(client)
    before = snapshot()
    response = confirm(client, token)
    assert response.status_code < 500
    assert difference(before, snapshot()) == {}
    assert db.session.get(User, learner_world["learner"].id) is not None


def test_deleting_without_the_form_token_is_refused(client, learner_world):
    login(client, learner_world["learner"])
    token = confirmation_of(client)
    before = snapshot()
    response = client.post("/account/delete/confirm", data={"confirmation": token})
    assert response.status_code == 400
    assert difference(before, snapshot()) == {}


def test_a_tutor_deletes_their_account_and_their_reviews_stay_without_them(client, learner_world):
    tutor = learner_world["tutor"]
    login(client, tutor)
    response = confirm(client, confirmation_of(client))
    assert response.status_code == 302
    assert rows_mentioning("tutor@example.org") == []
    (review_row,) = snapshot()["capstone_review"]
    assert "Falta el cronograma." in review_row
    cohort = db.session.get(Cohort, learner_world["cohort_id"])
    assert cohort.tutors == []
    # The learner's project and its review are still theirs.
    assert db.session.get(User, learner_world["learner"].id) is not None


@pytest.mark.parametrize("language", ["es", "pt", "en"])
def test_the_deletion_pages_speak_the_persons_language(client, make_user, language):
    user = make_user(locale=language)
    login(client, user)
    words = {"es": "Eliminar mi cuenta", "pt": "Excluir minha conta", "en": "Delete my account"}
    for url in ("/account/privacy", "/account/delete"):
        page = client.get(url).get_data(as_text=True)
        assert words[language] in page, (url, language)
    page = post_form(client, "/account/delete", {"password": TEST_PASSWORD}).get_data(as_text=True)
    assert 'name="confirmation"' in page and words[language] in page
    assert "<script" not in page  # works without JavaScript: plain forms


def test_the_profile_links_to_my_data(client, login_as):
    login_as()
    assert "/account/privacy" in client.get("/account/profile").get_data(as_text=True)
    csrf_token(client, "/account/privacy")


# The operator's commands, for someone who cannot sign in ----------------------------------------


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_the_operator_exports_a_persons_data(app, learner_world, tmp_path):
    target = tmp_path / "lucia.json"
    result = run(app, "privacy", "export", "LUCIA@example.org", "--output", str(target))
    assert result.exit_code == 0, result.output
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["account"]["email"] == "lucia@example.org"
    assert data["capstone_projects"][0]["versions"][0]["files"][0]["filename"] == "plan-lucia.pdf"


def test_the_operator_deletes_an_account_after_confirming(app, learner_world):
    learner_id = learner_world["learner"].id
    refused = run(app, "privacy", "delete", "lucia@example.org", input="n\n")
    assert refused.exit_code != 0
    db.session.expire_all()
    assert db.session.get(User, learner_id) is not None

    result = run(app, "privacy", "delete", "lucia@example.org", input="y\n")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, learner_id) is None
    assert rows_mentioning("lucia@example.org") == []


def test_the_operator_cannot_delete_the_last_administrator(app, make_user):
    admin = make_user(role=Role.ADMIN, email="only.admin@example.org")
    before = snapshot()
    result = run(app, "privacy", "delete", admin.email, "--yes")
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
    assert difference(before, snapshot()) == {}
    assert run(app, "privacy", "export", "nobody@example.org").exit_code != 0
