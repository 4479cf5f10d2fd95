"""Administrators' certificate pages: find a certificate, revoke and restore it with a reason
kept in its history, re-issue it, and issue a season's or a cohort's missing certificates as a
background job whose progress and failures they read."""

import pytest
from sqlalchemy import select, update

from app.accounts.models import Role
from app.catalog.models import CourseKind
from app.certificates import services
from app.certificates.models import Certificate, CertificateAction, CertificateDocument
from app.core.models import Job, Task, TaskState
from app.extensions import db
from tests.certificates.helpers import certificate_of, complete, completed_place, count
from tests.conftest import outbox, post_form
from tests.learning.helpers import build_course, counting_queries
from tests.seasons.factories import make_cohort, make_season


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN, locale="en", email="ana.admin@example.org")


@pytest.fixture
def certificate(make_user, small_course):
    learner = make_user(full_name="Rosa Quispe", locale="es")
    return certificate_of(complete(learner, small_course))


def page_of(certificate) -> str:
    return f"/admin/certificates/{certificate.id}"


def html(response) -> str:
    return response.get_data(as_text=True)


def test_the_list_finds_certificates_by_name_code_and_status(client, admin, certificate):
    listed = html(client.get("/admin/certificates"))
    assert "Rosa Quispe" in listed and "1 certificate" in listed
    by_code = client.get("/admin/certificates", query_string={"q": certificate.code.lower()})
    assert "Rosa Quispe" in html(by_code)
    nobody = client.get("/admin/certificates", query_string={"q": "Nobody Here"})
    assert "No certificate matches this search." in html(nobody)
    revoked = client.get("/admin/certificates", query_string={"status": "revoked"})
    assert "Rosa Quispe" not in html(revoked)
    # Hostile or odd filters are ignored or escaped, never an error.
    odd = client.get(
        "/admin/certificates",
        query_string={"q": "<script>%_" * 40, "status": "x", "season": "abc", "page": "-3"},
    )
    assert odd.status_code in (200, 404)
    assert "<script>%_" not in html(odd)


def test_the_list_takes_the_same_queries_for_few_or_many(client, admin, make_user, small_course):
    def queries():
        client.get("/admin/certificates")
        with counting_queries() as statements:
            assert client.get("/admin/certificates").status_code == 200
        return len(statements)

    for _ in range(2):
        certificate_of(complete(make_user(), small_course))
    few = queries()
    for n in range(8):
        services.issue_certificate(completed_place(make_user(), _another_course(n)).id)
    db.session.commit()
    assert queries() == few


def _another_course(n):
    return build_course(f"paced-{n}", kind=CourseKind.SELF_PACED, languages=["es"])


def test_revoking_needs_a_reason_and_keeps_it_in_the_history(client, admin, certificate):
    url = page_of(certificate) + "/revoke"
    for reason, error in (
        ("", "Give the reason."),
        ("  ", "Give the reason."),
        ("x" * 1001, "1000"),
    ):
        response = post_form(client, url, {"reason": reason}, page_of(certificate))
        assert response.status_code == 200 and error in html(response)
        assert not certificate_of_id(certificate.id).revoked

    reason = "Plagio del proyecto <script>alert(1)</script>"
    response = post_form(client, url, {"reason": reason}, page_of(certificate))
    assert response.status_code == 302
    assert certificate_of_id(certificate.id).revoked
    page = html(client.get(page_of(certificate)))
    assert "Revoked on" in page and "ana.admin@example.org" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    # The public page says so at once.
    public = client.get(f"/verify/{certificate.grouped_code}", headers={"Accept-Language": "en"})
    assert "Revoked" in html(public) and "Plagio" not in html(public)

    # Revoking again is refused with a message; restoring needs a reason too.
    again = post_form(client, url, {"reason": "Once more"}, page_of(certificate))
    assert "already revoked" in html(again)
    restore = page_of(certificate) + "/restore"
    assert "Give the reason." in html(
        post_form(client, restore, {"reason": ""}, page_of(certificate))
    )
    assert post_form(client, restore, {"reason": "Apelación aceptada"}).status_code == 302
    assert not certificate_of_id(certificate.id).revoked
    events = services.history(certificate_of_id(certificate.id))
    assert [(e.action, e.actor_label) for e in events] == [
        (CertificateAction.ISSUED, "platform"),
        (CertificateAction.REVOKED, "ana.admin@example.org"),
        (CertificateAction.RESTORED, "ana.admin@example.org"),
    ]
    assert events[1].reason == reason and events[2].reason == "Apelación aceptada"


def certificate_of_id(certificate_id) -> Certificate:
    db.session.expire_all()
    return db.session.get(Certificate, certificate_id)


def test_reissue_makes_a_new_edition_but_keeps_the_issued_name(client, admin, certificate):
    learner_id = certificate.user_id
    from app.accounts.models import User

    # A profile rename is not a correction: only an approved request changes the name.
    db.session.get(User, learner_id).full_name = "Rosa Quispe Mamani"
    db.session.commit()
    first = count(CertificateDocument)
    response = post_form(client, page_of(certificate) + "/reissue", {}, page_of(certificate))
    assert response.status_code == 302
    again = certificate_of_id(certificate.id)
    assert again.edition == 2 and again.learner_name == "Rosa Quispe"
    assert again.code == certificate.code
    assert count(CertificateDocument) == first + 1
    page = html(client.get(page_of(certificate)))
    assert "Re-issued" in page and page.count('<code class="hash">') == 2


def test_a_revoked_certificate_is_not_reissued(client, admin, certificate):
    services.revoke(certificate, "Error de registro", services.PLATFORM)
    db.session.commit()
    response = post_form(client, page_of(certificate) + "/reissue", {}, page_of(certificate))
    assert response.status_code == 302
    assert certificate_of_id(certificate.id).edition == 1
    assert "restore it first" in html(client.get(page_of(certificate)))


def test_unknown_certificates_and_jobs_are_not_found(client, admin):
    assert client.get("/admin/certificates/999999").status_code == 404
    assert client.get("/admin/jobs/999999").status_code == 404
    assert client.get("/admin/seasons/999999/certificates").status_code == 404


# Bulk issue ---------------------------------------------------------------------------------


@pytest.fixture
def tutored_season(make_user, small_course):
    """A season with a cohort of three who completed, one who did not, and a self-paced
    completion, none certified yet."""
    tutored = build_course("tutored", kind=CourseKind.TUTOR_LED, languages=["es"])
    morning = make_cohort(tutored, name="Mañana", seats=10)
    evening = make_cohort(tutored, name="Tarde", seats=10)
    done = [completed_place(make_user(), tutored, morning) for _ in range(3)]
    from tests.seasons.factories import enroll

    enroll(make_user(), tutored, morning)
    completed_place(make_user(), tutored, evening)
    completed_place(make_user(), small_course)
    db.session.commit()
    return {"season": morning.offering.season, "morning": morning, "done": done}


def bulk_url(season) -> str:
    return f"/admin/seasons/{season.id}/certificates"


def test_the_season_page_counts_what_is_missing(client, admin, tutored_season):
    page = html(client.get(bulk_url(tutored_season["season"])))
    assert "Mañana" in page and "Tarde" in page
    # Whole season: 5 completed, none certified, 5 missing.
    assert "<td>5</td>\n    <td>0</td>\n    <td>0</td>\n    <td>5</td>" in page


def test_issuing_a_cohort_runs_a_job_and_reports_it(client, admin, tutored_season):
    season, morning = tutored_season["season"], tutored_season["morning"]
    response = post_form(client, bulk_url(season), {"cohort_id": str(morning.id)}, bulk_url(season))
    assert response.status_code == 302
    job = db.session.scalar(select(Job))
    assert response.headers["Location"].endswith(f"/admin/jobs/{job.id}")
    assert (job.total, job.done, job.failed, job.finished) == (3, 3, 0, True)
    assert count(Certificate) == 3 and count(CertificateDocument) == 3
    for enrollment in tutored_season["done"]:
        certificate = certificate_of(enrollment)
        assert certificate.cohort_name == "Mañana"
        assert [m.subject for m in outbox(enrollment.user.email)]  # told it is ready
    page = html(client.get(f"/admin/jobs/{job.id}"))
    assert "3 of 3 done" in page and 'http-equiv="refresh"' not in page
    assert job.title in html(client.get("/admin/jobs"))

    # The whole season next: only the two missing are made; the others stay as they are.
    post_form(client, bulk_url(season), {}, bulk_url(season))
    assert count(Certificate) == 5 and count(CertificateDocument) == 5
    # With "again", existing ones become a new edition.
    post_form(client, bulk_url(season), {"again": "y"}, bulk_url(season))
    assert count(CertificateDocument) == 10
    db.session.expire_all()
    assert {c.edition for c in db.session.scalars(select(Certificate))} == {2}


@pytest.mark.parametrize("cohort_id", ["abc", "999999", "1" * 13, "<script>"])
def test_a_bulk_issue_for_a_wrong_cohort_is_refused(client, admin, tutored_season, cohort_id):
    season = tutored_season["season"]
    response = post_form(client, bulk_url(season), {"cohort_id": cohort_id}, bulk_url(season))
    assert response.status_code == 200
    assert count(Job) == 0 and count(Certificate) == 0
    assert "error-summary" in html(response)


def test_a_cohort_of_another_season_is_refused(client, admin, tutored_season, small_course):
    other = make_season("Other season")
    tutored = db.session.scalar(
        select(type(small_course)).where(type(small_course).slug == "tutored")
    )
    foreign = make_cohort(tutored, season=other, name="Foreign")
    db.session.commit()
    season = tutored_season["season"]
    response = post_form(client, bulk_url(season), {"cohort_id": str(foreign.id)}, bulk_url(season))
    assert "That cohort is not part of this season." in html(response)
    assert count(Job) == 0


def test_a_season_with_no_completion_has_nothing_to_issue(client, admin):
    season = make_season("Empty season")
    db.session.commit()
    page = html(client.get(bulk_url(season)))
    assert "there is nothing to certify" in page
    response = post_form(client, bulk_url(season), {}, bulk_url(season))
    assert "nothing to issue" in html(response) and count(Job) == 0


def test_a_unit_that_fails_is_listed_and_the_rest_goes_on(client, admin, tutored_season, make_user):
    season = tutored_season["season"]
    ids = services.completed_enrollment_ids(season_id=season.id)
    # An enrolment that is not completed (it was reopened after the job was planned).
    from tests.seasons.factories import enroll

    learner = make_user(full_name="Pedro Pendiente")
    unfinished = enroll(learner, build_course("later", languages=["es"]))
    db.session.commit()
    job = services.start_bulk_issue(
        "Season", [*ids, unfinished.id], again=False, actor=services.PLATFORM
    )
    db.session.commit()
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.total, job.done, job.failed, job.finished) == (6, 5, 1, True)
    (failure,) = db.session.scalars(select(Task).where(Task.state == TaskState.FAILED))
    assert "Pedro Pendiente" in failure.label and "not completed" in failure.message
    page = html(client.get(f"/admin/jobs/{job.id}"))
    assert "1 failed" in page and "Pedro Pendiente" in page


def test_a_running_job_page_refreshes_itself(client, admin):
    from app.core import jobs

    job = jobs.start_job("certificates.issue", "Season · Mañana", None)
    for _ in range(4):
        db.session.add(
            Task(name="certificates.issue_one", arguments="{}", job_id=job.id, dispatch_key="k")
        )
    db.session.flush()
    db.session.execute(
        update(Task)
        .where(Task.id == db.session.scalar(select(db.func.min(Task.id))))
        .values(state=TaskState.DONE)
    )
    db.session.commit()
    page = html(client.get(f"/admin/jobs/{job.id}"))
    assert 'http-equiv="refresh"' in page and "1 of 4 done" in page and "Running" in page
