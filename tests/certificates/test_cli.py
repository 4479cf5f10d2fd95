"""`flask certificates issue|revoke|restore|verify`: the same services as the pages; a refusal
exits non-zero with the reason and changes nothing."""

import json

import pytest
from sqlalchemy import select

from app.catalog.models import CourseKind
from app.certificates import services
from app.certificates.models import Certificate, CertificateAction, CertificateDocument
from app.core.models import Job
from app.extensions import db
from tests.accounts.test_cli import assert_refused, messages
from tests.certificates.helpers import (
    certificate_of,
    complete,
    completed_place,
    count,
    finish_all_but_last,
    stored_pdf,
)
from tests.conftest import outbox
from tests.learning.helpers import build_course
from tests.seasons.factories import make_cohort, make_season


def run(app, *args):
    return app.test_cli_runner().invoke(args=["certificates", *[str(a) for a in args]])


@pytest.fixture
def certificate(make_user, small_course):
    return certificate_of(complete(make_user(full_name="Iván Torres"), small_course))


def test_issue_one_enrollment_then_say_it_exists(app, make_user, small_course):
    place = completed_place(make_user(full_name="Marta Gómez"), small_course)
    result = run(app, "issue", "--enrollment", place.id)
    assert result.exit_code == 0, result.output
    certificate = certificate_of(place)
    assert f"issued: {certificate.grouped_code}" in result.output
    assert services.verification_url(certificate) in result.output
    assert stored_pdf(certificate).startswith(b"%PDF")
    again = run(app, "issue", "--enrollment", place.id)
    assert "already issued" in again.output and count(Certificate) == 1


def test_issuing_one_enrollment_tells_the_learner_once(app, make_user, small_course):
    learner = make_user(full_name="Marta Gómez", locale="es")
    place = completed_place(learner, small_course)
    for _ in range(2):
        assert run(app, "issue", "--enrollment", place.id).exit_code == 0
    assert [m.subject for m in outbox(learner.email)] == ["Su certificado está listo"]


def test_issue_a_season_as_a_job(app, make_user, small_course):
    places = [completed_place(make_user(), small_course) for _ in range(3)]
    season = places[0].season
    result = run(app, "issue", "--season", season.name)
    assert result.exit_code == 0, result.output
    assert "3 of 3 certificates issued, 0 failed" in result.output
    assert count(Certificate) == 3 and count(CertificateDocument) == 3
    assert count(Job) == 1


@pytest.mark.parametrize(
    "args, reason",
    [
        ((), "give either --enrollment ID or --season NAME"),
        (("--enrollment", "1", "--season", "X"), "give either"),
        (("--cohort", "A"), "give either"),
        (("--season", "No such season"), "no season named"),
        (("--season", "Test season", "--cohort", "Nope"), "has no cohort named"),
        (("--season", "Test season"), "nothing to issue"),
        (("--season", "Test season", "--course", "x"), "--course needs --cohort"),
        (("--enrollment", "abc"), "abc"),
    ],
)
def test_issue_refuses_wrong_arguments(app, args, reason):
    make_season("Test season")
    db.session.commit()
    result = run(app, "issue", *args)
    assert result.exit_code != 0 and reason in result.output, result.output
    assert count(Certificate) == 0 and count(Job) == 0


def test_a_cohort_name_two_courses_share_needs_its_course(app, make_user):
    """Cohort names are unique only within a course: "A" of one is not "A" of another."""
    cohorts = {}
    for slug in ("tutored-one", "tutored-two"):
        course = build_course(slug, kind=CourseKind.TUTOR_LED, languages=["es"])
        cohorts[slug] = make_cohort(course, name="A")
        completed_place(make_user(), course, cohorts[slug])
    season = cohorts["tutored-one"].offering.season.name

    result = run(app, "issue", "--season", season, "--cohort", "A")
    assert result.exit_code != 0, result.output
    assert "2 cohorts named “A” (courses: tutored-one, tutored-two)" in result.output
    assert "add --course SLUG" in result.output and count(Certificate) == 0 and count(Job) == 0

    result = run(app, "issue", "--season", season, "--cohort", "A", "--course", "nope")
    assert result.exit_code != 0 and "no cohort named “A” in course “nope”" in result.output

    result = run(app, "issue", "--season", season, "--cohort", "A", "--course", "tutored-two")
    assert result.exit_code == 0, result.output
    assert "1 of 1 certificates issued" in result.output
    [certificate] = db.session.scalars(select(Certificate)).all()
    assert (
        certificate.cohort_name == "A"
        and certificate.course_id == cohorts["tutored-two"].offering.course_id
    )


def test_issue_refuses_an_unfinished_course(app, make_user, small_course):
    place, _last = finish_all_but_last(make_user(), small_course)
    result = run(app, "issue", "--enrollment", place.id)
    assert_refused(
        result, messages("The course is not completed: there is nothing to certify yet.")
    )
    assert count(Certificate) == 0


def test_revoke_and_restore_by_code(app, certificate):
    loose = certificate.grouped_code.lower()
    result = run(app, "revoke", loose, "--reason", "Datos falsos")
    assert result.exit_code == 0 and "revoked" in result.output
    assert certificate_of_code(certificate).revoked
    assert_refused(
        run(app, "revoke", loose, "--reason", "Otra vez"),
        messages("This certificate is already revoked."),
    )
    assert_refused(
        run(app, "restore", loose, "--reason", ""),
        messages("Give the reason (it is kept in the certificate's history)."),
    )
    assert run(app, "restore", loose, "--reason", "Error corregido").exit_code == 0
    assert not certificate_of_code(certificate).revoked
    labels = {
        e.actor_label for e in services.history(certificate) if e.action != CertificateAction.ISSUED
    }
    assert labels == {"command line"}


def certificate_of_code(certificate):
    db.session.expire_all()
    return db.session.get(Certificate, certificate.id)


@pytest.mark.parametrize(
    "code", ["nonsense", "0000-0000-0000-0000-0000-0000-0000", "'; --", "9" * 300]
)
def test_unknown_codes_are_refused(app, certificate, code):
    for command in (("revoke", code, "--reason", "Porque sí"), ("verify", code)):
        result = run(app, *command)
        assert result.exit_code != 0 and "no certificate has this code" in result.output


def test_verify_prints_the_public_record_and_checks_a_file(app, certificate, tmp_path):
    result = run(app, "verify", certificate.grouped_code)
    assert result.exit_code == 0
    record = json.loads(result.output)
    assert record["status"] == "valid" and record["learner_name"] == "Iván Torres"
    issued = tmp_path / "issued.pdf"
    issued.write_bytes(stored_pdf(certificate))
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(stored_pdf(certificate) + b"\n")
    ok = run(app, "verify", certificate.grouped_code, "--file", issued)
    assert ok.exit_code == 0 and json.loads(ok.output)["file_is_the_issued_pdf"] is True
    bad = run(app, "verify", certificate.grouped_code, "--file", edited)
    assert bad.exit_code == 1 and json.loads(bad.output)["file_is_the_issued_pdf"] is False
    missing = run(app, "verify", certificate.grouped_code, "--file", tmp_path / "none.pdf")
    assert missing.exit_code != 0 and "does not exist" in missing.output
    services.revoke(certificate, "Revocado por prueba", services.PLATFORM)
    db.session.commit()
    revoked = run(app, "verify", certificate.grouped_code)
    assert revoked.exit_code == 1 and json.loads(revoked.output)["status"] == "revoked"
