"""Outages of Redis and of the database: what was saved stays saved, pages that do not need
the missing service work, and what needs it says so in the person's language.

Each Redis test starts a redis-server of its own and stops it (then starts it again, empty,
as a Redis that lost its memory); nothing here touches the run's shared Redis."""

import json
import os
import subprocess
import sys
import uuid

import pytest
import redis
from rq import Worker
from sqlalchemy import select

from app.accounts.models import Role
from app.catalog.models import CourseKind
from app.certificates.models import Certificate, CertificateDocument
from app.core import jobs
from app.core.models import Job, MailState, Task, TaskState
from app.extensions import db
from app.seasons import enrollments, services
from tests.certificates.helpers import completed_place, count
from tests.conftest import (
    ROOT,
    TEST_PASSWORD,
    csrf_token,
    free_port,
    job_worker,
    outbox,
    post_form,
    stop_process,
    wait_until,
)
from tests.learning.helpers import build_course
from tests.seasons.factories import enroll, make_cohort

QUICK = {"JOBS_LEASE_SECONDS": "2", "JOBS_DISPATCH_SECONDS": "1"}

# One process, as one gunicorn worker would be, configured like production with Redis (rate
# limits and jobs) and SMTP: sign in, then register someone new.
PROBE = """
import json, re, sys
from app import create_app
app = create_app()
def token(client, url):
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
email, password, registration = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
codes = {}
client = app.test_client()
codes["sign_in"] = client.post("/login", data={
    "email": email, "password": password, "csrf_token": token(client, "/login")}).status_code
codes["home"] = client.get("/").status_code
client = app.test_client()
registration["csrf_token"] = token(client, "/register")
codes["register"] = client.post("/register", data=registration).status_code
print(json.dumps(codes))
"""


def probe_env(database_url, redis_url):
    return {
        **os.environ,
        "AULA_ENV": "testing",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "JOBS_BACKEND": "rq",
        "JOBS_QUEUE": f"aula-test-{uuid.uuid4().hex[:8]}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(free_port()),
        "SMTP_STARTTLS": "0",
    }


def test_sign_in_and_registration_work_with_redis_stopped(app, make_user, institutions, own_redis):
    person = make_user(email="during.outage@example.org")
    own_redis.stop()
    registration = {
        "full_name": "Nueva Persona",
        "email": "nueva@example.org",
        "password": TEST_PASSWORD,
        "confirm_password": TEST_PASSWORD,
        "country": "UY",
        "institution": str(institutions[0].id),
        "institution_other": "",
        "represents": "vti",
        "locale": "es",
        "privacy_consent": "y",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, person.email, TEST_PASSWORD, json.dumps(registration)],
        cwd=ROOT, env=probe_env(app.config["SQLALCHEMY_DATABASE_URI"], own_redis.url),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-5000:]
    codes = json.loads(done.stdout.strip().splitlines()[-1])
    assert codes == {"sign_in": 302, "home": 200, "register": 302}, done.stderr[-5000:]
    # The confirmation mail is saved, and waits with its task for Redis to come back.
    db.session.expire_all()
    (mail,) = outbox("nueva@example.org")
    assert mail.state == MailState.PENDING
    assert count(Task, name="mail.deliver", state=TaskState.PENDING) == 1


def test_a_withdrawal_that_promotes_someone_is_saved_with_redis_stopped(
    app, client, login_as, make_user, backend, own_redis, monkeypatch
):
    tutored = build_course("tutored", kind=CourseKind.TUTOR_LED, languages=["es"], modules=1)
    cohort = make_cohort(tutored, seats=1)
    waiting = make_user(locale="pt")
    learner = login_as(Role.LEARNER, locale="en")
    enroll(learner, tutored, cohort)
    services.join_waitlist(waiting, cohort)
    db.session.commit()
    queue = f"aula-test-{uuid.uuid4().hex[:8]}"
    backend("rq", REDIS_URL=own_redis.url, JOBS_QUEUE=queue)
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    own_redis.stop()

    url = "/learn/tutored/withdraw"
    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    db.session.expire_all()
    assert enrollments.find_enrollment(learner, tutored) is None
    assert enrollments.find_enrollment(waiting, tutored).cohort_id == cohort.id
    (mail,) = outbox(waiting.email)
    assert mail.state == MailState.PENDING

    # Redis comes back empty: the mail's delivery is handed over from the database.
    own_redis.start()
    assert jobs.dispatch_pending(app) == 1
    assert jobs.rq_queue(app).count == 1
    assert jobs.dispatch_pending(app) == 0  # queued now: not handed over twice


def test_bulk_issues_started_with_redis_stopped_run_once_it_is_back(
    app, client, login_as, make_user, small_course, backend, own_redis
):
    places = [completed_place(make_user(), small_course) for _ in range(5)]
    season = places[0].season
    queue = f"aula-test-{uuid.uuid4().hex[:8]}"
    backend("rq", REDIS_URL=own_redis.url, JOBS_QUEUE=queue)
    login_as(Role.ADMIN, locale="en")
    worker = job_worker(app, queue, own_redis.url, burst=False, **QUICK)
    try:
        connection = redis.Redis.from_url(own_redis.url)
        wait_until(lambda: Worker.count(connection=connection) == 1, processes=[worker])
        own_redis.stop()

        url = f"/admin/seasons/{season.id}/certificates"
        for _ in range(2):
            response = post_form(client, url, {"cohort_id": ""}, url)
            assert response.status_code == 302
            page = client.get(response.headers["Location"]).get_data(as_text=True)
            assert "The background workers cannot be reached right now" in page
            assert "0 of 5 done" in page
        job_ids = db.session.scalars(select(Job.id).order_by(Job.id)).all()

        own_redis.start()  # empty: the jobs come back from the database
        wait_until(
            lambda: all(finished(job_id) for job_id in job_ids),
            what="both jobs' end",
            processes=[worker],
        )
        assert worker.poll() is None  # the worker outlived Redis
    finally:
        output = stop_process(worker)
    for job_id in job_ids:
        job = db.session.get(Job, job_id)
        assert (job.total, job.done, job.failed) == (5, 5, 0), output
    assert count(Certificate) == 5 and count(CertificateDocument) == 5
    for place in places:
        assert len(outbox(place.user.email)) == 1


def finished(job_id) -> bool:
    db.session.expire_all()
    return db.session.get(Job, job_id).finished


DATABASE_DOWN_PROBE = """
import sys
from app import create_app
app = create_app()
client = app.test_client()
if sys.argv[2] == "signed-in":
    with client.session_transaction() as session:
        session["_user_id"] = "a-session-key"  # a signed-in visitor's cookie
response = client.get(sys.argv[1], headers={"Accept-Language": "pt"})
print(response.status_code)
print(response.get_data(as_text=True))
"""


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/", "signed-in"),
        # A page visitors get from the page cache: its versions are read on a connection of
        # their own (app/core/page_cache.py).
        ("/courses", "visitor"),
        ("/verify/ABCD-EFGH-JKMN-PQRS-TVWX-YZ23-4567", "visitor"),
    ],
)
def test_visitors_get_a_translated_503_while_the_database_is_down(path, who):
    env = {
        **os.environ,
        "AULA_ENV": "testing",
        # Nothing listens there: every connection is refused, as with a stopped server.
        "DATABASE_URL": f"postgresql://aula@127.0.0.1:{free_port()}/aula",
    }
    done = subprocess.run(
        [sys.executable, "-c", DATABASE_DOWN_PROBE, path, who],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-5000:]
    status, _, body = done.stdout.partition("\n")
    assert status == "503", body[-3000:]
    assert '<html lang="pt"' in body and "Indisponível no momento" in body
