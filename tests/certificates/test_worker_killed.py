"""A bulk issue survives its worker: a `flask jobs worker` killed (SIGKILL) in the middle of
one is taken over by another worker once the dead one's lease runs out, with nobody running
anything again, and ends with every certificate once, every PDF whole and one "certificate
ready" mail per learner."""

import hashlib
import signal
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import undefer

from app.certificates import services
from app.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateDocument,
    CertificateEvent,
)
from app.core import jobs
from app.core.models import Job, OutboxMessage, Task, TaskState
from app.extensions import db
from tests.certificates.helpers import completed_place, count, pdf_pages
from tests.conftest import job_worker, stop_process, utcnow, wait_until

LEARNERS = 12
# Small figures so that a takeover happens within seconds (production: 300 s and 60 s).
QUICK = {"JOBS_LEASE_SECONDS": "2", "JOBS_DISPATCH_SECONDS": "1"}


def job_state(job_id):
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    return job.total, job.done, job.failed, job.finished


def mails_per_learner() -> dict[str, int]:
    return dict(
        db.session.execute(
            select(OutboxMessage.recipient, func.count()).group_by(OutboxMessage.recipient)
        ).all()
    )


def assert_each_once_and_whole(learners):
    assert count(Certificate) == LEARNERS
    assert count(CertificateEvent, action=CertificateAction.ISSUED) == LEARNERS
    documents = db.session.scalars(
        select(CertificateDocument).options(undefer(CertificateDocument.data))
    ).all()
    assert sorted(d.certificate_id for d in documents) == sorted(
        db.session.scalars(select(Certificate.id))
    )
    for document in documents:
        assert document.data.startswith(b"%PDF") and document.data.rstrip().endswith(b"%%EOF")
        assert hashlib.sha256(document.data).hexdigest() == document.sha256
        assert pdf_pages(document.data) == 2  # the certificate and what the course covered
    # One mail each: the certificate ready mail, written with the first PDF.
    assert mails_per_learner() == {learner.email: 1 for learner in learners}


def test_a_worker_killed_during_a_bulk_issue_is_taken_over(
    app, make_user, small_course, backend, redis_url
):
    queue = f"aula-test-{uuid.uuid4().hex[:8]}"
    backend("rq", REDIS_URL=redis_url, JOBS_QUEUE=queue)
    learners = [make_user() for _ in range(LEARNERS)]
    ids = [completed_place(learner, small_course).id for learner in learners]
    job = services.start_bulk_issue("Season", ids, again=False, actor=services.PLATFORM)
    db.session.commit()

    first = job_worker(app, queue, redis_url, burst=False, **QUICK)
    # Killed at a moment the test picks: a third of the certificates exist.
    wait_until(
        lambda: count(Certificate) >= LEARNERS // 3, what="a third issued", processes=[first]
    )
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    assert not job_state(job.id)[3], "the worker finished before it was killed"

    second = job_worker(app, queue, redis_url, burst=False, **QUICK)
    try:
        wait_until(lambda: job_state(job.id)[3], what="the job's end", processes=[second])
        assert second.poll() is None  # still serving
    finally:
        output = stop_process(second)
    assert job_state(job.id) == (LEARNERS, LEARNERS, 0, True), output
    assert_each_once_and_whole(learners)
    jobs.rq_queue(app).delete(delete_jobs=True)


def test_a_unit_whose_run_died_after_issuing_is_finished_once(
    app, make_user, small_course, backend, redis_url
):
    """Deterministic: the dead run committed the certificate, then died before its PDF and
    mail (what left a learner without either)."""
    queue = f"aula-test-{uuid.uuid4().hex[:8]}"
    backend("rq", REDIS_URL=redis_url, JOBS_QUEUE=queue)
    learner = make_user()
    place = completed_place(learner, small_course)
    job = services.start_bulk_issue("Season", [place.id], again=False, actor=services.PLATFORM)
    db.session.commit()
    services.issue_certificate(place.id, render=False)
    db.session.execute(
        update(Task).values(
            state=TaskState.RUNNING,
            claim="dead-worker",
            attempts=1,
            lease_expires_at=utcnow() - timedelta(seconds=1),
        )
    )
    db.session.commit()
    assert job_state(job.id) == (1, 0, 0, False)

    backend("inline")
    assert jobs.dispatch_pending(app) == 1
    assert job_state(job.id) == (1, 1, 0, True)
    assert count(Certificate) == 1 and count(CertificateDocument) == 1
    assert mails_per_learner() == {learner.email: 1}
    assert jobs.dispatch_pending(app) == 0  # nothing is left to hand over


def test_a_run_that_lost_its_lease_undoes_its_end(app, make_user, small_course, backend):
    """A slow run whose task another worker took over meanwhile does not end it twice: its
    last writes (PDF, mail, done) roll back, and the other run's stand."""
    backend("inline")
    place = completed_place(make_user(), small_course)
    original = jobs.TASKS["certificates.issue_one"]

    def overtaken(**kwargs):
        original.function(**kwargs)
        db.session.execute(update(Task).values(claim="another-worker"))

    jobs.TASKS["certificates.issue_one"] = jobs.Registered(overtaken, original.label)
    try:
        job = services.start_bulk_issue("Season", [place.id], again=False, actor=services.PLATFORM)
        db.session.commit()
    finally:
        jobs.TASKS["certificates.issue_one"] = original
    assert job_state(job.id) == (1, 0, 0, False)
    assert count(CertificateDocument) == 0 and count(OutboxMessage) == 0
