"""Bulk issue as background jobs on each backend: RQ on the real Redis with `flask jobs
worker` processes (one or two, sharing the work), and the in-process pool that `make run` uses
without Redis. Tasks are queued only once the transaction that asked for them commits."""

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import select

from app.certificates import services
from app.certificates.models import Certificate, CertificateDocument
from app.core import jobs
from app.core.models import Job
from app.extensions import db
from tests.certificates.helpers import completed_place, count
from tests.conftest import ROOT, job_worker


@pytest.fixture
def places(make_user, small_course):
    """Five completed enrolments without certificates: five units of a bulk issue."""
    return [completed_place(make_user(), small_course).id for _ in range(5)]


def job_state(job_id):
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    return job.total, job.done, job.failed, job.finished


def start(ids) -> int:
    job = services.start_bulk_issue("Season", ids, again=False, actor=services.PLATFORM)
    db.session.commit()
    return job.id


@pytest.mark.parametrize("workers", [1, 2])
def test_rq_workers_on_redis_share_a_bulk_issue(app, places, backend, workers, redis_url):
    queue = f"aula-test-{uuid.uuid4().hex[:8]}"
    backend("rq", REDIS_URL=redis_url, JOBS_QUEUE=queue)
    job_id = start(places)
    # Queued in Redis, not run: nothing is issued until a worker takes the tasks.
    assert jobs.rq_queue(app).count == 5
    assert job_state(job_id) == (5, 0, 0, False)

    running = [job_worker(app, queue, redis_url) for _ in range(workers)]
    outputs = [process.communicate(timeout=300)[0].decode() for process in running]
    assert all(process.returncode == 0 for process in running), outputs

    assert job_state(job_id) == (5, 5, 0, True)
    assert count(Certificate) == 5 and count(CertificateDocument) == 5
    assert jobs.rq_queue(app).count == 0
    jobs.rq_queue(app).delete(delete_jobs=True)


def test_the_worker_refuses_to_start_without_redis(app):
    env = {**os.environ, "AULA_ENV": "testing", "SECRET_KEY": "x"}
    env.pop("REDIS_URL", None)
    env.pop("JOBS_BACKEND", None)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--burst"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "set REDIS_URL" in result.stderr


def test_the_in_process_pool_runs_a_bulk_issue_without_redis(app, places, backend):
    backend("pool")
    job_id = start(places)
    assert jobs.wait_for_pool(app, timeout=120)
    assert job_state(job_id) == (5, 5, 0, True)
    assert count(CertificateDocument) == 5


def test_a_task_asked_for_in_a_transaction_that_rolls_back_never_runs(app, places, backend):
    backend("pool")
    services.start_bulk_issue("Season", places, again=False, actor=services.PLATFORM)
    db.session.rollback()
    assert jobs.wait_for_pool(app, timeout=30)
    assert count(Job) == 0 and count(Certificate) == 0


def test_an_unknown_task_name_is_refused_at_once(app):
    with pytest.raises(KeyError):
        jobs.enqueue("no.such.task")


def test_a_job_backend_that_does_not_exist_is_refused(monkeypatch):
    from app.config import ConfigError, _jobs_backend

    monkeypatch.setenv("JOBS_BACKEND", "celery")
    with pytest.raises(ConfigError, match="JOBS_BACKEND"):
        _jobs_backend("production", None)
    monkeypatch.setenv("JOBS_BACKEND", "rq")
    with pytest.raises(ConfigError, match="REDIS_URL"):
        _jobs_backend("production", None)
    monkeypatch.delenv("JOBS_BACKEND")
    assert _jobs_backend("production", "redis://x") == "rq"
    assert _jobs_backend("production", None) == "pool"
    assert _jobs_backend("testing", "redis://x") == "inline"


def test_documents_are_rendered_once_however_many_workers_try(app, places):
    certificate, _ = services.issue_certificate(places[0], render=False)
    db.session.commit()
    first = services.render_document(certificate.id)
    db.session.commit()
    second = services.render_document(certificate.id)
    assert first[1] is True and second[1] is False
    assert count(CertificateDocument, certificate_id=certificate.id) == 1
    assert db.session.scalar(select(CertificateDocument.sha256)) == first[0].sha256
