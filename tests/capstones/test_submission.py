"""The learner's capstone project through the item page: drafts, submission, versions,
deadlines, extensions, closed seasons and the attempt limit."""

import re
from html import unescape

from sqlalchemy import func, select

from app.capstones import services
from app.capstones.models import (
    CapstoneFile,
    Decision,
    Submission,
    SubmissionState,
    SubmissionVersion,
)
from app.extensions import db
from app.seasons.models import SeasonState
from tests.capstones.helpers import (
    ITEM_URL,
    SAVE_URL,
    capstone_cohort,
    count_files,
    enrolled_learner,
    make_person,
    osh_course,
    pdf_bytes,
    png_bytes,
    post_project,
    start,
    submission_of,
)
from tests.conftest import login, outbox
from tests.learning.helpers import enroll_directly, flashes, main_of
from tests.seasons.factories import days


def setup_learner(client, **dates):
    cohort = capstone_cohort()
    for name, value in dates.items():
        setattr(cohort, name, value)
    learner = enrolled_learner(cohort)
    db.session.commit()
    login(client, learner)
    return cohort, learner


def page(client):
    response = client.get(ITEM_URL)
    assert response.status_code == 200
    return unescape(main_of(response.get_data(as_text=True)))


def versions_of(learner):
    submission = submission_of(learner)
    if submission is None:
        return []
    return list(
        db.session.scalars(
            select(SubmissionVersion)
            .where(SubmissionVersion.submission_id == submission.id)
            .order_by(SubmissionVersion.number)
        )
    )


def count_submissions():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Submission))


def review_now(learner, decision, levels=(3, 3, 3, 3), comment="Bien hecho"):
    submission = submission_of(learner)
    tutor = submission.cohort.tutors[0]
    made = services.review(
        submission,
        tutor,
        seen_token=submission.review_token,
        levels=list(levels),
        comment=comment,
        decision=decision,
    )
    db.session.commit()
    return made


def test_the_page_shows_status_deadlines_attempts_rubric_and_the_form(client):
    cohort, _learner = setup_learner(client, capstone_due_on=days(30), capstone_cutoff_on=days(40))
    html = page(client)
    assert "Your project" in html
    assert "Not started" in html
    assert "0 of 3 used" in html
    assert "Pass mark: 12 points." in html  # the rubric
    assert "Deadline" in html and "Last day to submit late" in html
    assert 'enctype="multipart/form-data"' in html
    assert f'action="{SAVE_URL}#project"' in html
    assert re.search(r'name="seen_versions" type="hidden" value="0"', html)
    assert 'type="file"' in html and "multiple" in html
    assert "Save draft" in html and 'value="Submit to my tutor…"' in html
    # Viewing writes nothing.
    assert count_submissions() == 0


def test_a_draft_is_saved_and_shown_and_goes_to_nobody(client):
    cohort, learner = setup_learner(client)
    response = post_project(
        client, "Mi plan de SST, primera parte", [("plan.pdf", pdf_bytes())], seen=0
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{ITEM_URL}#project")

    submission = submission_of(learner)
    assert submission.state == SubmissionState.DRAFT
    assert submission.versions == 0
    assert submission.draft_text == "Mi plan de SST, primera parte"
    assert count_files() == 1
    html = page(client)
    assert "Your draft was saved." in html or "Draft: saved" in html
    assert "Mi plan de SST, primera parte" in html
    stored = db.session.scalar(select(CapstoneFile))
    assert f"/capstones/files/{stored.token}" in html
    assert "plan.pdf" in html
    assert outbox(cohort.tutors[0].email) == []

    # A file can be taken out of the draft again.
    response = post_project(client, "Mi plan", remove=[stored.token])
    assert response.status_code == 302
    assert count_files() == 0


def test_submitting_makes_version_1_and_tells_the_tutor(client):
    cohort, learner = setup_learner(client)
    response = post_project(
        client, "Mi proyecto", [("plan.pdf", pdf_bytes())], action="submit_project", seen=0
    )
    assert response.status_code == 302
    follow = client.get(response.headers["Location"])
    assert ("success", "Version 1 of your project was submitted. Your tutor has been told.") in (
        flashes(follow.get_data(as_text=True))
    )

    submission = submission_of(learner)
    assert submission.state == SubmissionState.SUBMITTED
    assert submission.versions == 1
    [version] = versions_of(learner)
    assert version.number == 1 and version.text == "Mi proyecto" and not version.late
    assert [f.filename for f in version.files] == ["plan.pdf"]
    [mail] = outbox(cohort.tutors[0].email)
    assert learner.full_name in mail.body
    assert f"/tutor/capstones/{submission.id}" in mail.body or "http" in mail.body

    html = page(client)
    assert "Submitted: waiting for your tutor's review." in html
    assert "Version 1" in html and "Not reviewed yet." in html
    assert "1 of 3 used" in html
    assert 'name="text"' not in html  # with the tutor: no form
    assert "This project is with your tutor or already decided." in html


def test_a_double_submit_makes_one_version(client):
    cohort, learner = setup_learner(client)
    first = post_project(client, "Mi proyecto", action="submit_project", seen=0)
    second = post_project(client, "Mi proyecto", action="submit_project", seen=0)
    assert first.status_code == 302
    assert second.status_code == 302  # answered with the version the first click made
    assert [v.number for v in versions_of(learner)] == [1]
    assert len(outbox(cohort.tutors[0].email)) == 1


def test_nothing_to_submit_is_refused_and_nothing_kept(client):
    _cohort, learner = setup_learner(client)
    response = post_project(client, "   ", action="submit_project", seen=0)
    assert response.status_code == 200
    assert "Write your project or attach a file before submitting." in response.get_data(
        as_text=True
    )
    assert versions_of(learner) == []
    assert count_submissions() == 0


def test_a_revision_is_resubmitted_as_version_2_and_version_1_is_kept(client):
    _cohort, learner = setup_learner(client)
    post_project(client, "Primera versión", [("v1.pdf", pdf_bytes())], "submit_project", seen=0)
    review_now(learner, Decision.REVISE, levels=(1, 1, 1, 1), comment="Falta el diagnóstico.")
    [mail] = outbox(learner.email)
    assert "/learn/osh-in-vocational-training/proyecto-final" in mail.body

    html = page(client)
    assert "Your tutor asked for a revision" in html
    assert "Falta el diagnóstico." in html
    assert "Decision: revise and submit again." in html
    assert "4 points; 12 needed to pass." in html
    assert "Primera versión" in html  # the draft starts from what was sent
    assert re.search(r'name="seen_versions" type="hidden" value="1"', html)
    # ... and from its files, each a copy the learner may remove.
    [carried] = services.draft_files(submission_of(learner))
    assert carried.filename == "v1.pdf" and carried.data == pdf_bytes()
    assert f'name="remove" value="{carried.token}"' in html
    assert "remove the ones you replace" in html

    response = post_project(
        client,
        "Segunda versión",
        [("v2.png", png_bytes())],
        "submit_project",
        seen=1,
        remove=[carried.token],
    )
    assert response.status_code == 302
    first, second = versions_of(learner)
    assert (first.number, first.text, [f.filename for f in first.files]) == (
        1,
        "Primera versión",
        ["v1.pdf"],
    )
    assert (second.number, second.text, [f.filename for f in second.files]) == (
        2,
        "Segunda versión",
        ["v2.png"],
    )
    assert first.review is not None and second.review is None
    assert submission_of(learner).state == SubmissionState.SUBMITTED

    review_now(learner, Decision.PASS)
    html = page(client)
    assert "Passed." in html and "Decision: passed." in html
    assert "Version 2" in html and "Version 1" in html


def test_a_late_submission_is_accepted_and_flagged(client):
    _cohort, learner = setup_learner(client, capstone_due_on=days(-2), capstone_cutoff_on=days(5))
    html = page(client)
    assert "The deadline has passed. You can still submit" in html
    response = post_project(client, "Tarde pero entregado", action="submit_project", seen=0)
    assert response.status_code == 302
    [version] = versions_of(learner)
    assert version.late is True
    assert "Late" in page(client)


def test_after_the_cut_off_submission_is_refused(client):
    _cohort, learner = setup_learner(client, capstone_due_on=days(-5), capstone_cutoff_on=days(-2))
    html = page(client)
    assert "The cut-off date for this project has passed." in html
    assert 'name="text"' not in html
    response = post_project(client, "Demasiado tarde", action="submit_project", seen=0)
    assert response.status_code == 200
    assert "The cut-off date for this project has passed." in response.get_data(as_text=True)
    assert versions_of(learner) == []
    assert count_submissions() == 0


def test_an_extension_lets_a_learner_submit_after_the_cut_off(client):
    _cohort, learner = setup_learner(client, capstone_due_on=days(-5), capstone_cutoff_on=days(-2))
    services.grant_extension(start(learner), days(3))
    db.session.commit()
    html = page(client)
    assert "extended for you to" in html
    response = post_project(client, "Con prórroga", action="submit_project", seen=0)
    assert response.status_code == 302
    [version] = versions_of(learner)
    assert version.text == "Con prórroga" and version.late is False


def test_a_closed_season_refuses_submissions(client):
    cohort, learner = setup_learner(client)
    post_project(client, "Borrador", seen=0)
    cohort.offering.season.state = SeasonState.CLOSED
    db.session.commit()
    html = page(client)
    assert "This season is closed: submissions have stopped." in html
    assert 'name="text"' not in html
    response = post_project(client, "Ahora", action="submit_project", seen=0)
    assert response.status_code == 200
    assert "This season is closed" in response.get_data(as_text=True)
    assert versions_of(learner) == []
    assert submission_of(learner).draft_text == "Borrador"


def test_the_attempt_limit_stops_further_versions(client):
    _cohort, learner = setup_learner(client)
    post_project(client, "Uno", action="submit_project", seen=0)
    review_now(learner, Decision.REVISE, levels=(0, 0, 0, 0))
    # The course now allows a single attempt (a re-imported package lowered it).
    item = submission_of(learner).item
    item.content = {**item.content, "max_attempts": 1}
    db.session.commit()
    html = page(client)
    assert "You have used every attempt at this project." in html
    assert "1 of 1 used" in html
    assert 'name="text"' not in html
    response = post_project(client, "Dos", action="submit_project", seen=1)
    assert response.status_code == 200
    assert "You have used every attempt" in response.get_data(as_text=True)
    assert [v.number for v in versions_of(learner)] == [1]


def test_a_learner_without_a_cohort_place_sees_the_brief_and_cannot_post(client):
    learner = make_person()
    enroll_directly(learner, osh_course())  # a self-paced enrolment: no cohort
    db.session.commit()
    login(client, learner)
    html = page(client)
    assert "you can read the brief but not submit a project" in html
    assert "Pass mark: 12 points." in html
    assert 'name="text"' not in html
    response = post_project(client, "Mío", [("a.pdf", pdf_bytes())], "submit_project", seen=0)
    assert response.status_code == 403
    assert "there is no project to submit" in unescape(response.get_data(as_text=True))
    assert count_submissions() == 0 and count_files() == 0


def test_someone_not_enrolled_cannot_post(client):
    capstone_cohort()
    outsider = make_person()
    login(client, outsider)
    response = post_project(client, "Hola", action="submit_project", seen=0)
    assert response.status_code == 403
    assert count_submissions() == 0


def test_the_form_needs_a_csrf_token(client):
    setup_learner(client)
    response = client.post(
        SAVE_URL,
        data={"text": "x", "submit_project": "1"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert count_submissions() == 0


def test_anonymous_posts_go_to_the_login_page(client):
    capstone_cohort()
    response = client.post(SAVE_URL, data={"text": "x"}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_resubmission_keeps_the_carried_files_unless_removed(client):
    _cohort, learner = setup_learner(client)
    post_project(client, "Uno", [("plan.pdf", pdf_bytes())], "submit_project", seen=0)
    review_now(learner, Decision.REVISE, levels=(1, 1, 1, 1), comment="Casi.")
    post_project(client, "Dos", [("anexo.png", png_bytes())], "submit_project", seen=1)
    first, second = versions_of(learner)
    assert [f.filename for f in first.files] == ["plan.pdf"]
    assert [f.filename for f in second.files] == ["plan.pdf", "anexo.png"]
    # Two rows with their own names: version 1's file is never moved or shared.
    assert first.files[0].token != second.files[0].token
    assert first.files[0].version_id == first.id
    assert services.draft_files(submission_of(learner)) == []


def test_submitting_from_the_page_asks_for_confirmation_first(client):
    """ "Submit to my tutor…" saves the draft and shows a confirmation page (no script); only
    its "Yes, submit" spends the attempt."""
    _cohort, learner = setup_learner(client)
    response = post_project(
        client, "Mi plan", [("plan.pdf", pdf_bytes())], "review_submission", seen=0
    )
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert "Submit version 1 to your tutor?" in html
    assert "Submitting uses attempt 1 of 3." in html
    assert "plan.pdf" in html and "Mi plan" in html
    assert 'name="from_draft"' in html and 'name="submit_project"' in html
    assert "No, go back to my draft" in html
    # Nothing was submitted; the draft was saved.
    assert versions_of(learner) == []
    submission = submission_of(learner)
    assert submission.state == SubmissionState.DRAFT and submission.draft_text == "Mi plan"
    assert [f.filename for f in services.draft_files(submission)] == ["plan.pdf"]

    # "Yes, submit": the draft as saved becomes version 1 (no text field on that page).
    response = post_project(client, action="submit_project", seen=0, from_draft="1")
    assert response.status_code == 302
    [version] = versions_of(learner)
    assert version.text == "Mi plan" and [f.filename for f in version.files] == ["plan.pdf"]
    # The confirmation sent twice (a double click) makes no second version.
    post_project(client, action="submit_project", seen=0, from_draft="1")
    assert len(versions_of(learner)) == 1


def test_an_empty_draft_never_reaches_the_confirmation_page(client):
    _cohort, learner = setup_learner(client)
    response = post_project(client, "   ", action="review_submission", seen=0)
    html = unescape(response.get_data(as_text=True))
    assert "Submit version 1 to your tutor?" not in html
    assert "Write your project or attach a file before submitting." in html
    assert versions_of(learner) == []


def test_the_page_folds_the_brief_and_rubric_and_links_to_the_form(client):
    _cohort, _learner = setup_learner(client)
    html = page(client)
    assert '<a href="#project-form">' in html and 'id="project-form"' in html
    assert html.index('href="#project-form"') < html.index('<details class="brief"')
    assert '<details class="brief" open>' in html  # nothing saved yet: the brief is open
    assert '<details class="rubric">' in html  # the rubric folded
    post_project(client, "Empiezo", action="save_draft")
    html = page(client)
    assert '<details class="brief">' in html  # work begun: the brief folds away
    # Saving and submitting look different, and submitting says it uses an attempt.
    assert 'class="button secondary" id="save_draft"' in html
    assert "It uses one of your 3 attempts" in html
