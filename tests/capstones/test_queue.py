"""The tutor's queue across their cohorts (states, order, pages, query count) and a cohort's
ZIP of every learner's latest version."""

import io
import re
import zipfile
from datetime import timedelta

from app.accounts.models import Represents, Role, User
from app.capstones import services
from app.capstones.models import Decision, Submission, SubmissionState, SubmissionVersion
from app.core.db import utcnow
from app.extensions import db
from app.seasons.models import Enrollment
from tests.capstones.helpers import (
    capstone_cohort,
    capstone_item,
    enrolled_learner,
    make_person,
    pdf_bytes,
    png_bytes,
    start,
)
from tests.conftest import login
from tests.learning.helpers import counting_queries, main_of

QUEUE = "/tutor/capstones"
ROW_RE = re.compile(r'<a href="/tutor/capstones/(\d+)">')


def submit_work(learner, text="Mi proyecto", files=None):
    submission = start(learner)
    services.submit(submission, text, files if files is not None else [("plan.pdf", pdf_bytes())])
    db.session.commit()
    return submission


def rows_of(response):
    return [int(n) for n in ROW_RE.findall(main_of(response.get_data(as_text=True)))]


def bulk_submissions(cohort, count, start_at=0):
    """`count` submitted projects in `cohort`, written straight to the tables (fast)."""
    item = capstone_item(cohort.offering.course)
    now = utcnow()
    users = [
        User(
            email=f"bulk{start_at + n}@example.org",
            full_name=f"Bulk Learner {start_at + n:04d}",
            password_hash="!",
            country_code="UY",
            institution_other="ITU",
            represents=Represents.OTHER,
        )
        for n in range(count)
    ]
    db.session.add_all(users)
    db.session.flush()
    enrollments = [
        Enrollment(
            user_id=u.id,
            course_id=cohort.offering.course_id,
            season_id=cohort.offering.season_id,
            cohort_id=cohort.id,
        )
        for u in users
    ]
    db.session.add_all(enrollments)
    db.session.flush()
    submissions = [
        Submission(
            enrollment_id=e.id,
            item_id=item.id,
            cohort_id=cohort.id,
            state=SubmissionState.SUBMITTED,
            versions=1,
            review_token=1,
            submitted_at=now - timedelta(minutes=start_at + n),
        )
        for n, e in enumerate(enrollments)
    ]
    db.session.add_all(submissions)
    db.session.flush()
    db.session.add_all(
        SubmissionVersion(
            submission_id=s.id, number=1, text="x", late=n % 2 == 0, submitted_at=s.submitted_at
        )
        for n, s in enumerate(submissions)
    )
    db.session.commit()
    return submissions


def test_the_queue_lists_each_state_oldest_first(app, client):
    cohort = capstone_cohort()
    tutor = cohort.tutors[0]
    first = enrolled_learner(cohort, full_name="First Sender")
    second = enrolled_learner(cohort, full_name="Second Sender")
    revising = enrolled_learner(cohort, full_name="Revising Learner")
    enrolled_learner(cohort, full_name="Drafting Learner")
    older = submit_work(first)
    newer = submit_work(second)
    asked = submit_work(revising)
    services.review(
        asked,
        tutor,
        seen_token=asked.review_token,
        levels=[0, 0, 0, 0],
        comment="",
        decision=Decision.REVISE,
    )
    db.session.commit()
    login(client, tutor)

    response = client.get(QUEUE)

    assert response.status_code == 200
    assert rows_of(response) == [older.id, newer.id]
    main = main_of(response.get_data(as_text=True))
    assert "First Sender" in main and "Cohort 1" in main
    assert "Mainstreaming occupational safety and health" in main or "SST" in main
    assert "To review (2)" in main and "Awaiting revision (1)" in main
    assert "Passed (0)" in main
    assert "Revising Learner" not in main and "Drafting Learner" not in main

    revise = client.get(f"{QUEUE}?status=revise")
    assert rows_of(revise) == [asked.id]
    assert rows_of(client.get(f"{QUEUE}?status=passed")) == []
    # An unknown filter falls back to the projects to review.
    assert rows_of(client.get(f"{QUEUE}?status=<script>")) == [older.id, newer.id]


def test_a_tutor_sees_only_their_cohorts_and_an_admin_all(app, client):
    mine = capstone_cohort()
    theirs = capstone_cohort()
    own = submit_work(enrolled_learner(mine))
    other = submit_work(enrolled_learner(theirs, full_name="Someone Else"))
    login(client, mine.tutors[0])

    response = client.get(QUEUE)
    assert rows_of(response) == [own.id]
    assert "Someone Else" not in response.get_data(as_text=True)

    admin = app.test_client()
    login(admin, make_person(Role.ADMIN))
    assert sorted(rows_of(admin.get(QUEUE))) == sorted([own.id, other.id])

    learner = app.test_client()
    login(learner, make_person(Role.LEARNER))
    assert learner.get(QUEUE).status_code == 403
    assert app.test_client().get(QUEUE).headers["Location"].startswith("/login")


def test_the_late_flag_shows(app, client):
    cohort = capstone_cohort()
    submission = bulk_submissions(cohort, 1)[0]
    login(client, cohort.tutors[0])
    assert submission.history[0].late
    assert '<span class="status">Late</span>' in client.get(QUEUE).get_data(as_text=True)


def test_the_queue_names_each_institution_in_the_readers_language(app, client, institutions):
    sena = next(i for i in institutions if i.acronym == "SENA")
    cohort = capstone_cohort()
    learner = enrolled_learner(cohort, full_name="Learner From Sena")
    learner.institution_id, learner.institution_other = sena.id, None
    db.session.commit()
    submit_work(learner)
    tutor = cohort.tutors[0]
    login(client, tutor)
    for language, name in (("es", sena.name_es), ("pt", sena.name_pt), ("en", sena.name_en)):
        tutor.locale = language
        db.session.commit()
        main = main_of(client.get(QUEUE).get_data(as_text=True))
        assert f"<td>SENA — {name}</td>" in main, (language, name)
    assert sena.name_es == "Servicio Nacional de Aprendizaje" and sena.name_pt != sena.name_es


def test_the_queue_runs_the_same_queries_for_5_and_500(app, client):
    cohort = capstone_cohort()
    login(client, cohort.tutors[0])
    bulk_submissions(cohort, 5)
    with counting_queries() as few:
        small = client.get(QUEUE)
    assert small.status_code == 200 and len(rows_of(small)) == 5

    bulk_submissions(cohort, 495, start_at=5)
    with counting_queries() as many:
        large = client.get(QUEUE)

    assert large.status_code == 200 and len(rows_of(large)) == 50
    assert len(many) == len(few), (len(few), len(many))


def test_the_queue_pages_by_fifty(app, client):
    cohort = capstone_cohort()
    made = bulk_submissions(cohort, 120)
    login(client, cohort.tutors[0])
    oldest_first = [s.id for s in sorted(made, key=lambda s: s.submitted_at)]

    first = client.get(QUEUE)
    assert rows_of(first) == oldest_first[:50]
    assert "Page 1 of 3" in first.get_data(as_text=True)
    assert rows_of(client.get(f"{QUEUE}?page=3")) == oldest_first[100:]
    # Out-of-range page numbers land on a real page.
    assert rows_of(client.get(f"{QUEUE}?page=99")) == oldest_first[100:]
    assert rows_of(client.get(f"{QUEUE}?page=-4")) == oldest_first[:50]


# The cohort's ZIP ----------------------------------------------------------------------------


def test_the_cohort_zip_holds_every_latest_version(app, client):
    cohort = capstone_cohort()
    tutor = cohort.tutors[0]
    ana = enrolled_learner(cohort, full_name="Ana ../Díaz")
    bruno = enrolled_learner(cohort, full_name="Bruno Silva")
    enrolled_learner(cohort, full_name="Nobody Yet")
    first = submit_work(ana, "Primera versión", [("plan.pdf", pdf_bytes())])
    services.review(
        first,
        tutor,
        seen_token=first.review_token,
        levels=[0, 0, 0, 0],
        comment="",
        decision=Decision.REVISE,
    )
    db.session.commit()
    # Ana replaces the file her revision started from (carried over from version 1).
    carried = [f.token for f in services.draft_files(first)]
    services.submit(
        first,
        "Segunda versión",
        [("plan.pdf", pdf_bytes() + b"%v2"), ("../plan.pdf", pdf_bytes() + b"%dup")],
        carried,
    )
    db.session.commit()
    submit_work(bruno, "Texto de Bruno", [("foto.png", png_bytes())])
    login(client, tutor)

    response = client.get(f"/tutor/cohorts/{cohort.id}/capstones.zip")

    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "private, no-store"  # learners' work
    assert ".zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert archive.testzip() is None
    ana_folder = f"Díaz ({ana.id})"
    bruno_folder = f"Bruno Silva ({bruno.id})"
    assert sorted(archive.namelist()) == sorted(
        [
            f"{ana_folder}/text.txt",
            f"{ana_folder}/plan.pdf",
            f"{ana_folder}/plan (2).pdf",
            f"{bruno_folder}/text.txt",
            f"{bruno_folder}/foto.png",
        ]
    )
    assert archive.read(f"{ana_folder}/text.txt").decode() == "Segunda versión"
    assert archive.read(f"{ana_folder}/plan.pdf") == pdf_bytes() + b"%v2"
    assert archive.read(f"{ana_folder}/plan (2).pdf") == pdf_bytes() + b"%dup"
    assert archive.read(f"{bruno_folder}/foto.png") == png_bytes()
    assert all(".." not in name.split("/") for name in archive.namelist())


def test_an_empty_cohort_gives_an_empty_zip(app, client):
    cohort = capstone_cohort()
    login(client, cohort.tutors[0])
    response = client.get(f"/tutor/cohorts/{cohort.id}/capstones.zip")
    assert response.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(response.get_data())).namelist() == []


def test_only_the_cohorts_tutors_download_its_zip(app, client):
    cohort = capstone_cohort()
    learner = enrolled_learner(cohort)
    submit_work(learner)
    url = f"/tutor/cohorts/{cohort.id}/capstones.zip"

    login(client, make_person(Role.TUTOR))  # a tutor of no cohort
    assert client.get(url).status_code == 403
    other = capstone_cohort()
    outsider = app.test_client()
    login(outsider, other.tutors[0])
    assert outsider.get(url).status_code == 403
    own = app.test_client()
    login(own, learner)
    assert own.get(url).status_code == 403
    assert app.test_client().get(url).headers["Location"].startswith("/login")
    assert outsider.get("/tutor/cohorts/999999/capstones.zip").status_code == 404
    admin = app.test_client()
    login(admin, make_person(Role.ADMIN))
    assert admin.get(url).status_code == 200
