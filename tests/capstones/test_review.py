"""The tutor's review page: the rubric form, its decisions and their consequences, two tutors
at once, feedback files, extensions, and who may see any of it."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.accounts.models import Role
from app.capstones import services
from app.capstones.models import CapstoneFile, Decision, Review, SubmissionState
from app.catalog.models import Item
from app.extensions import db
from app.learning import services as learning
from tests.capstones.helpers import (
    capstone_cohort,
    enrolled_learner,
    enrollment_of,
    make_person,
    osh_course,
    pdf_bytes,
    start,
    submission_of,
)
from tests.conftest import CSRF_RE, login, outbox
from tests.learning.helpers import flashes, main_of
from tests.seasons.factories import days

PASSING = [2, 2, 2, 2]  # 3 points each: 12, the pass mark
FAILING = [1, 1, 1, 1]  # 1 point each: 4
TOKEN_RE = re.compile(r'name="review_token" type="hidden" value="(\d+)"')


def review_url(submission):
    return f"/tutor/capstones/{submission.id}"


def submit_work(learner, text="Mi plan de transversalización", files=None):
    """The learner's next version, sent through the service and committed."""
    submission = start(learner)
    services.submit(submission, text, files if files is not None else [("plan.pdf", pdf_bytes())])
    db.session.commit()
    return submission


def open_form(client, submission):
    """The review page as the tutor loads it: (csrf token, review token, html)."""
    page = client.get(review_url(submission))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return CSRF_RE.search(html).group(1), TOKEN_RE.search(html).group(1), html


def review_data(csrf, token, levels, decision, comment=""):
    data = {f"level_{i}": str(level) for i, level in enumerate(levels)}
    return {
        **data,
        "comment": comment,
        "decision": decision,
        "review_token": token,
        "csrf_token": csrf,
    }


def post_review(client, submission, levels, decision, comment="", **kwargs):
    csrf, token, _ = open_form(client, submission)
    return client.post(
        review_url(submission),
        data=review_data(csrf, token, levels, decision, comment),
        **kwargs,
    )


def reviews_count():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Review))


def state_of(learner):
    db.session.expire_all()
    return submission_of(learner).state


def test_the_page_shows_the_work_and_the_rubric(app, client):
    cohort = capstone_cohort()
    learner = enrolled_learner(cohort, full_name="Ana Learner")
    submission = submit_work(learner, "Primera línea\nSegunda línea")
    login(client, cohort.tutors[0])

    csrf, token, html = open_form(client, submission)

    main = main_of(html)
    assert "Ana Learner" in main
    assert "Primera línea<br>Segunda línea" in main
    assert "plan.pdf" in main
    assert token == str(submission.review_token)
    # Four criteria, each with its four levels (title and points) as a radio group.
    assert len(re.findall(r'name="level_\d"[^>]*type="radio"', main)) == 16
    # The tutor reads English: the OSH course has its rubric in English too.
    assert "Diagnosis and risk assessment" in main
    assert "Outstanding" in main
    assert 'enctype="multipart/form-data"' in main
    for decision in ("pass", "revise", "not_passed"):
        assert f'value="{decision}"' in main


def test_revise_resubmit_pass_completes_the_course_once(app, client):
    cohort = capstone_cohort()
    tutor = cohort.tutors[0]
    learner = enrolled_learner(cohort)
    submission = submit_work(learner)
    login(client, tutor)

    response = post_review(client, submission, FAILING, "revise", "Falta la tabla de riesgos.")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/tutor/capstones")
    assert state_of(learner) == SubmissionState.REVISE
    mails = outbox(learner.email)
    assert len(mails) == 1
    assert "Falta la tabla de riesgos." in mails[0].body or "4" in mails[0].body
    review = db.session.scalar(select(Review))
    assert review.decision == Decision.REVISE and review.points == 4
    assert review.tutor_id == tutor.id

    # The learner resubmits; every other required item of the course is done.
    submit_work(learner, "Segunda versión con la tabla")
    enrollment = enrollment_of(learner)
    course = osh_course()
    others = db.session.scalars(
        select(Item).where(Item.course_id == course.id, Item.required, Item.kind != "capstone")
    ).all()
    assert others
    for item in others:
        learning.mark_done(enrollment, item)
    db.session.commit()
    assert enrollment_of(learner).completed_at is None  # the capstone is still missing

    page = client.get(review_url(submission_of(learner)))
    assert "Segunda versión con la tabla" in page.get_data(as_text=True)
    assert "Falta la tabla de riesgos." in page.get_data(as_text=True)  # the earlier review
    response = post_review(client, submission_of(learner), PASSING, "pass", "Muy bien.")

    assert response.status_code == 302
    assert state_of(learner) == SubmissionState.PASSED
    completed = enrollment_of(learner).completed_at
    assert completed is not None
    # Two review mails, then the certificate the passed capstone earned.
    subjects = [mail.subject for mail in outbox(learner.email)]
    assert len(subjects) == 3 and "certif" in subjects[-1].lower()
    # Recorded once: asking again changes nothing.
    assert learning.record_completion_if_due(enrollment_of(learner)) is False
    db.session.commit()
    assert enrollment_of(learner).completed_at == completed
    # The decided project is not offered for another review.
    html = client.get(review_url(submission)).get_data(as_text=True)
    assert 'name="decision"' not in html


def test_a_pass_below_the_pass_mark_is_refused(app, client):
    cohort = capstone_cohort()
    learner = enrolled_learner(cohort)
    submission = submit_work(learner)
    login(client, cohort.tutors[0])

    response = post_review(client, submission, FAILING, "pass", "Mi comentario")

    assert response.status_code == 200
    html = main_of(response.get_data(as_text=True))
    assert "do not reach the pass mark of 12" in html
    assert "Mi comentario" in html  # the tutor's work is still in the form
    assert reviews_count() == 0
    assert state_of(learner) == SubmissionState.SUBMITTED
    assert outbox(learner.email) == []


def test_a_revision_when_no_attempt_is_left_is_refused(app, client):
    cohort = capstone_cohort()
    tutor = cohort.tutors[0]
    learner = enrolled_learner(cohort)
    for attempt in range(2):
        submission = submit_work(learner, f"Versión {attempt + 1}")
        services.review(
            submission,
            tutor,
            seen_token=submission.review_token,
            levels=FAILING,
            comment="",
            decision=Decision.REVISE,
        )
        db.session.commit()
    submission = submit_work(learner, "Versión 3")
    assert submission.versions == services.attempts_allowed(submission.item) == 3
    login(client, tutor)

    _, _, html = open_form(client, submission)
    assert 'value="revise"' not in main_of(html)  # not offered

    response = post_review(client, submission, FAILING, "revise")
    assert response.status_code == 200
    assert "No attempt is left" in response.get_data(as_text=True)
    assert reviews_count() == 2
    assert state_of(learner) == SubmissionState.SUBMITTED

    response = post_review(client, submission, FAILING, "not_passed")
    assert response.status_code == 302
    assert state_of(learner) == SubmissionState.NOT_PASSED


def test_two_tutors_cannot_overwrite_each_other(app, make_user):
    first, second = make_person(Role.TUTOR), make_person(Role.TUTOR, full_name="Second Tutor")
    cohort = capstone_cohort(tutors=[first, second])
    learner = enrolled_learner(cohort)
    submission = submit_work(learner)
    first_client, second_client = app.test_client(), app.test_client()
    login(first_client, first)
    login(second_client, second)
    csrf_1, token_1, _ = open_form(first_client, submission)
    csrf_2, token_2, _ = open_form(second_client, submission)
    assert token_1 == token_2

    passed = first_client.post(
        review_url(submission), data=review_data(csrf_1, token_1, PASSING, "pass", "Aprobado.")
    )
    late = second_client.post(
        review_url(submission),
        data=review_data(csrf_2, token_2, FAILING, "revise", "Mi propia revisión"),
    )

    assert passed.status_code == 302
    assert late.status_code == 409
    html = main_of(late.get_data(as_text=True))
    # The state moved on under the second tutor: the service says so, and the page shows it.
    assert "not waiting for a review any more" in html
    assert "Passed" in html
    assert "Aprobado." in html  # the other review is shown
    assert "Mi propia revisión" in html  # the second tutor's comment is kept
    assert re.search(r'checked[^>]*value="revise"|value="revise"[^>]*checked', html)
    assert reviews_count() == 1
    review = db.session.scalar(select(Review))
    assert review.decision == Decision.PASS and review.tutor_id == first.id
    assert state_of(learner) == SubmissionState.PASSED


def test_a_stale_form_after_a_new_version_is_a_conflict(app, client):
    cohort = capstone_cohort()
    tutor = cohort.tutors[0]
    learner = enrolled_learner(cohort)
    submission = submit_work(learner)
    login(client, tutor)
    csrf, token, _ = open_form(client, submission)
    services.review(
        submission, tutor, seen_token=int(token), levels=FAILING, comment="", decision="revise"
    )
    submit_work(learner, "Versión nueva")

    response = client.post(
        review_url(submission), data=review_data(csrf, token, PASSING, "pass", "Bien")
    )

    assert response.status_code == 409
    html = main_of(response.get_data(as_text=True))
    assert "Versión nueva" in html
    # The form now carries the current token: sending it again is a deliberate choice.
    assert TOKEN_RE.search(html).group(1) == str(submission_of(learner).review_token)
    assert state_of(learner) == SubmissionState.SUBMITTED


def test_every_criterion_needs_a_level(app, client):
    cohort = capstone_cohort()
    learner = enrolled_learner(cohort)
    submission = submit_work(learner)
    login(client, cohort.tutors[0])
    csrf, token, _ = open_form(client, submission)
    data = review_data(csrf, token, PASSING, "pass")
    del data["level_3"]
    data["level_0"] = "99"  # not a level

    response = client.post(review_url(submission), data=data)

    assert response.status_code == 200
    html = main_of(response.get_data(as_text=True))
    assert 'id="level_3-error"' in html and 'id="level_0-error"' in html
    assert reviews_count() == 0

    # A garbled or missing review token is no review either.
    data = review_data(csrf, "abc", PASSING, "pass")
    assert client.post(review_url(submission), data=data).status_code == 200
    del data["review_token"]
    assert client.post(review_url(submission), data=data).status_code == 200
    assert reviews_count() == 0


def test_a_feedback_file_larger_than_the_app_limit_is_kept(app, client):
    cohort = capstone_cohort()
    learner = enrolled_learner(cohort)
    submission = submit_work(learner)
    login(client, cohort.tutors[0])
    big = pdf_bytes() + b"%" + b"0" * (3 * 1024 * 1024)  # over the app's 2 MB limit
    csrf, token, _ = open_form(client, submission)
    data = review_data(csrf, token, PASSING, "pass", "Ver anotaciones")
    data["feedback"] = (__import__("io").BytesIO(big), "anotaciones.pdf")

    response = client.post(review_url(submission), data=data, content_type="multipart/form-data")

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    stored = db.session.scalar(select(CapstoneFile).where(CapstoneFile.review_id.is_not(None)))
    assert stored.filename == "anotaciones.pdf" and stored.size == len(big)


def test_a_hostile_feedback_file_is_refused_and_nothing_saved(app, client):
    cohort = capstone_cohort()
    learner = enrolled_learner(cohort)
    submission = submit_work(learner)
    login(client, cohort.tutors[0])
    csrf, token, _ = open_form(client, submission)
    data = review_data(csrf, token, PASSING, "pass", "Ver archivo")
    data["feedback"] = (
        __import__("io").BytesIO(b"<html><script>alert(1)</script></html>"),
        "../../notas.pdf",
    )

    response = client.post(review_url(submission), data=data, content_type="multipart/form-data")

    assert response.status_code == 200
    html = main_of(response.get_data(as_text=True))
    assert 'id="feedback-error"' in html
    assert "notas.pdf" in html
    assert reviews_count() == 0
    assert state_of(learner) == SubmissionState.SUBMITTED


def test_a_request_without_the_csrf_token_is_refused(app, client):
    cohort = capstone_cohort()
    learner = enrolled_learner(cohort)
    submission = submit_work(learner)
    login(client, cohort.tutors[0])
    _, token, _ = open_form(client, submission)
    data = review_data("forged", token, PASSING, "pass")

    assert client.post(review_url(submission), data=data).status_code == 400
    assert reviews_count() == 0


# Who may review -----------------------------------------------------------------------------


def test_only_the_cohorts_tutors_and_admins_review(app, client):
    cohort = capstone_cohort()
    learner = enrolled_learner(cohort)
    submission = submit_work(learner)
    other_tutor = make_person(Role.TUTOR)
    capstone_cohort(tutors=[other_tutor])
    url = review_url(submission)

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")

    login(client, other_tutor)
    assert client.get(url).status_code == 403
    csrf = CSRF_RE.search(client.get("/").get_data(as_text=True)).group(1)
    data = review_data(csrf, str(submission.review_token), PASSING, "pass")
    assert client.post(url, data=data).status_code == 403
    assert client.post(f"{url}/extension", data={"csrf_token": csrf}).status_code == 403
    assert client.get("/tutor/capstones/999999").status_code == 404

    for person in (learner, enrolled_learner(cohort)):
        visitor = app.test_client()
        login(visitor, person)
        assert visitor.get(url).status_code == 403
        csrf = CSRF_RE.search(visitor.get("/").get_data(as_text=True)).group(1)
        assert visitor.post(url, data=review_data(csrf, "1", PASSING, "pass")).status_code == 403
    assert reviews_count() == 0

    admin = app.test_client()
    login(admin, make_person(Role.ADMIN))
    assert admin.get(url).status_code == 200


# Extensions ---------------------------------------------------------------------------------


def test_an_extension_moves_one_learners_deadline(app, client):
    cohort = capstone_cohort()
    cohort.capstone_due_on = days(5)
    db.session.commit()
    learner = enrolled_learner(cohort)
    submission = submit_work(learner)
    login(client, cohort.tutors[0])
    csrf, _, _ = open_form(client, submission)
    url = f"{review_url(submission)}/extension"

    response = client.post(
        url, data={"extension-csrf_token": csrf, "extension-until": days(12).isoformat()}
    )
    assert response.status_code == 302
    assert submission_of(learner).extended_until == days(12)

    # Not after the cohort's deadline: refused, with the reason, and nothing changed.
    response = client.post(
        url,
        data={"extension-csrf_token": csrf, "extension-until": days(2).isoformat()},
        follow_redirects=True,
    )
    assert any("after the cohort" in text for _, text in flashes(response.get_data(as_text=True)))
    assert submission_of(learner).extended_until == days(12)

    response = client.post(
        url, data={"extension-csrf_token": csrf, "extension-until": "not a date"}
    )
    assert response.status_code == 302
    assert submission_of(learner).extended_until == days(12)

    client.post(url, data={"extension-csrf_token": csrf, "extension-until": ""})
    assert submission_of(learner).extended_until is None


def test_the_cohort_page_extends_a_learner_who_has_not_started(app, client):
    cohort = capstone_cohort()
    cohort.capstone_due_on = days(5)
    db.session.commit()
    waiting = enrolled_learner(cohort, full_name="Waiting Learner")
    busy = enrolled_learner(cohort, full_name="Busy Learner")
    submit_work(busy)
    login(client, cohort.tutors[0])
    url = f"/tutor/cohorts/{cohort.id}/capstones"

    page = client.get(url)
    assert page.status_code == 200
    main = main_of(page.get_data(as_text=True))
    assert "Waiting Learner" in main and "Nothing yet" in main
    assert "Busy Learner" in main and "To review" in main

    enrollment = enrollment_of(waiting)
    assert submission_of(waiting) is None
    csrf = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    target = f"/tutor/cohorts/{cohort.id}/enrollments/{enrollment.id}/extension"
    prefix = f"e{enrollment.id}-"
    response = client.post(
        target, data={f"{prefix}csrf_token": csrf, f"{prefix}until": days(9).isoformat()}
    )

    assert response.status_code == 302
    started = submission_of(waiting)
    assert started.state == SubmissionState.DRAFT and started.extended_until == days(9)
    assert services.deadlines(started).due_on == days(9)

    # An enrolment of another cohort is not found through this one.
    other = capstone_cohort(tutors=list(cohort.tutors))
    stranger = enrolled_learner(other)
    wrong = f"/tutor/cohorts/{cohort.id}/enrollments/{enrollment_of(stranger).id}/extension"
    assert client.post(wrong, data={"csrf_token": csrf}).status_code == 404
    assert submission_of(stranger) is None

    outsider = app.test_client()
    login(outsider, make_person(Role.TUTOR))
    assert outsider.get(url).status_code == 403
    assert outsider.post(target, data={"csrf_token": csrf}).status_code in (400, 403)


def test_an_extension_must_end_within_the_season(app, client):
    cohort = capstone_cohort()
    learner = enrolled_learner(cohort)
    submission = submit_work(learner)
    login(client, cohort.tutors[0])
    csrf, _, _ = open_form(client, submission)
    too_late = cohort.offering.season.ends_on + timedelta(days=1)

    response = client.post(
        f"{review_url(submission)}/extension",
        data={"extension-csrf_token": csrf, "extension-until": too_late.isoformat()},
        follow_redirects=True,
    )

    assert any("within the season" in t for _, t in flashes(response.get_data(as_text=True)))
    assert submission_of(learner).extended_until is None


def test_the_same_review_sent_twice_is_recorded_once(app, client):
    """A double click on "Send the review": the second copy carries the token the first one
    used up, so it is a conflict page (not a redirect) and records nothing."""
    cohort = capstone_cohort()
    learner = enrolled_learner(cohort)
    submission = submit_work(learner)
    login(client, cohort.tutors[0])
    csrf, token, _ = open_form(client, submission)
    data = review_data(csrf, token, FAILING, "revise", "Falta la tabla.")

    first = client.post(review_url(submission), data=data)
    again = client.post(review_url(submission), data=data)

    assert first.status_code == 302
    assert again.status_code == 409 and "Location" not in again.headers
    assert "not waiting for a review any more" in main_of(again.get_data(as_text=True))
    assert reviews_count() == 1
    assert state_of(learner) == SubmissionState.REVISE
    assert len(outbox(learner.email)) == 1


def test_the_review_form_shows_the_total_against_the_pass_mark(app, client):
    cohort = capstone_cohort()
    learner = enrolled_learner(cohort)
    submission = submit_work(learner)
    login(client, cohort.tutors[0])

    _csrf, _token, html = open_form(client, submission)
    main = main_of(html)
    # Nothing chosen yet: the pass mark, and a script that totals the levels as they are chosen.
    assert "The total shows once a level is chosen for every criterion (pass mark 12)" in main
    assert re.search(r'<script src="/static/capstones/review\.js\?v=[0-9a-f]{12}" defer>', html)
    assert (
        len(
            re.findall(
                r'type="radio"[^>]*data-points="\d+"|data-points="\d+"[^>]*type="radio"', main
            )
        )
        == 16
    )  # noqa: E501

    # Without JavaScript the total shows when the page comes back (here: a refused pass).
    response = post_review(client, submission, FAILING, "pass")
    assert "Total: 4 points; pass mark 12, below the pass mark." in response.get_data(as_text=True)
    response = post_review(client, submission, PASSING, "")
    assert "Total: 12 points; pass mark 12, at or above the pass mark." in response.get_data(
        as_text=True
    )
