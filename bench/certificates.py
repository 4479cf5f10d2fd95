"""Certificate figures for `make bench`: rendering, bulk issue, worker memory, verification SQL.

Render time beside WeasyPrint's empty page, and with signing (the credential and the PDF's
signature) beside it; verifying credentials; a bulk issue with 1 and 2 job workers (which sign
too), a worker's memory after many renders, and the SQL of the verification page.

Run from the repository root: `.venv/bin/python -m bench.certificates` (options: --help).
Everything is built in a temporary folder (SQLite, WAL) or, with --postgres, in databases of
its own named bench_certificates*, and removed afterwards, with the Redis keys it made.
"""

import argparse
import math
import os
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.pages import (
    BIN,
    ROOT,
    SEED,
    Page,
    app_env,
    flask,
    instance_files_kept,
    markdown,
    measure_in_process,
    plain,
)

# The floor: WeasyPrint making a PDF of one empty A4 page.
EMPTY_PAGE = "<style>@page { size: A4 }</style>"
WARM_UP = 5
# `flask demo generate` completes about 29% of its enrolments; ask for enough learners at once.
LEARNERS_PER_CERTIFICATE = 4
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_PREFIX = "bench_certificates"
REDIS_DEFAULT = "redis://127.0.0.1:6379/14"  # the tests start Redis servers of their own
MB = 1024 * 1024


@dataclass
class Timing:
    name: str
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, math.ceil(len(ordered) * 0.95) - 1)]


@dataclass
class BulkRun:
    workers: int
    backend: str
    certificates: int
    wall: float  # from the bulk issue's commit to its job row finished
    first_pdf: float  # from the commit to the first stored PDF
    steady: float  # seconds per certificate from the first stored PDF to the last
    done: int
    failed: int
    documents: int
    failures: list[tuple[str, int]]  # each reason recorded on the job, and how often


@dataclass
class Memory:
    # (renders, worker RSS, helper RSS, whether that helper was replaced since), bytes
    checkpoints: list[tuple[int, int, int, bool]]
    worker_peak: int  # VmHWM
    helper_peak: int  # the largest VmHWM of any helper seen
    sum_peak: int  # the largest sampled worker + helper RSS
    helpers_seen: int


# Databases: SQLite files in the temporary folder, or PostgreSQL databases of our own ---------


class Store:
    def __init__(self, folder: Path, postgres: str | None):
        self.folder = folder
        self.postgres = postgres
        self.made: list[str] = []

    @property
    def kind(self) -> str:
        return "PostgreSQL" if self.postgres else "SQLite (WAL)"

    def url(self, name: str) -> str:
        if self.postgres:
            return f"{self.postgres.rsplit('/', 1)[0]}/{POSTGRES_PREFIX}_{name}"
        return f"sqlite:///{self.folder / name}.db"

    def database(self, name: str):
        """What app_env() takes: a SQLite file's path, or a PostgreSQL URL."""
        return self.url(name) if self.postgres else self.folder / f"{name}.db"

    def engine(self, name: str):
        from sqlalchemy import create_engine

        url = self.url(name)
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return create_engine(url)

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self.postgres, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def create(self, name: str) -> None:
        if self.postgres:
            database = f"{POSTGRES_PREFIX}_{name}"
            self._admin(
                f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)',
                f'CREATE DATABASE "{database}"',
            )
            self.made.append(database)

    def copy(self, source: str, target: str) -> None:
        """A fresh copy of database `source` under the name `target`."""
        if self.postgres:
            database = f"{POSTGRES_PREFIX}_{target}"
            self._admin(
                f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)',
                f'CREATE DATABASE "{database}" TEMPLATE "{POSTGRES_PREFIX}_{source}"',
            )
            self.made.append(database)
            return
        path = self.folder / f"{target}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        with sqlite3.connect(self.folder / f"{source}.db") as src, sqlite3.connect(path) as dst:
            src.backup(dst)  # a consistent copy, whatever the WAL holds

    def drop_all(self) -> None:
        if self.postgres:
            for database in dict.fromkeys(self.made):
                with suppress(Exception):
                    self._admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def build_base(store: Store, certificates: int) -> int:
    """The database every figure starts from: the developer's commands, then enough generated
    learners for `certificates` completed enrolments. Returns how many are completed."""
    from sqlalchemy import text

    store.create("base")
    env = app_env(store.database("base"))
    with instance_files_kept():
        flask(env, "db", "upgrade")
        flask(env, "content", "import", "course_content")
        flask(env, "demo", "setup")
    learners, seed = max(1000, certificates * LEARNERS_PER_CERTIFICATE), SEED
    engine = store.engine("base")
    try:
        while True:
            out = flask(env, "demo", "generate", "--learners", str(learners), "--seed", str(seed))
            print(f"  {out.splitlines()[0]}", file=sys.stderr)
            with engine.connect() as conn:
                completed = conn.scalar(
                    text("SELECT count(*) FROM enrollment WHERE completed_at IS NOT NULL")
                )
            if completed >= certificates:
                return completed
            seed += 1  # more learners, until enough have completed a course
    finally:
        engine.dispose()


def prepare_for_issue(store: Store) -> None:
    """`issues` = base without certificates (`demo generate` issues rows without PDFs), so
    the bulk issue issues, renders and announces every one."""
    from sqlalchemy import text

    store.copy("base", "issues")
    engine = store.engine("issues")
    with engine.begin() as conn:
        for table in ("certificate_document", "certificate_event", "certificate"):
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608  (our table names)
    engine.dispose()


@contextmanager
def environment(env: dict):
    """os.environ as `env` while an application is created (its settings are read then)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def make_app(env: dict):
    from app import create_app

    with environment(env):
        return create_app()


# Renders --------------------------------------------------------------------------------------


def measure_renders(store: Store, rounds: int) -> tuple[dict[str, Timing], int]:
    """Interleaved rounds of: the empty page in process and in the helper, the certificate in
    process and through render_certificate (the helper, time-limited: what a job does), and
    the certificate's parts. Certificates of the base database, in turn."""
    from sqlalchemy import select
    from weasyprint import HTML

    from app.catalog.models import Course
    from app.certificates import services, signing
    from app.certificates.credentials.keys import load_signing_keys
    from app.certificates.designs import certificate_document, design_for, render_certificate
    from app.certificates.models import Certificate
    from app.core.pdf import render_pdf
    from app.core.pdf_engine import ConfinedFetcher, font_configuration
    from app.extensions import db

    app = make_app(app_env(store.database("base")))
    timings = {
        key: Timing(name)
        for key, name in (
            ("floor", "empty A4 page, WeasyPrint in process (the floor)"),
            ("floor_helper", "empty A4 page, in the helper process"),
            ("inline", "certificate, in process (no helper)"),
            ("helper", "certificate, render_certificate (helper, time-limited: a job's path)"),
            ("html", "  of which: HTML from the design (Jinja, QR code)"),
            ("layout", "  of which: WeasyPrint layout (HTML().render())"),
            ("write", "  of which: WeasyPrint drawing and PDF output (write_pdf())"),
            ("sign", "signing (signing.seal): credential + PDF"),
            ("credential", "  of which: the credential (RDFC-1.0, Ed25519)"),
            ("render_sign", "certificate rendered and signed (render_certificate + seal)"),
        )
    }
    with app.app_context():
        seconds = app.config["CERTIFICATE_RENDER_SECONDS"]
        rows = db.session.execute(
            select(Certificate, Course.slug)
            .join(Course, Course.id == Certificate.course_id)
            .order_by(Certificate.id)
            .limit(50)
        ).all()
        if not rows:
            sys.exit("the base database has no certificate to render")
        signed = signed_parts()
        samples = [
            ({**services.printed_values(c), **signed}, design_for(slug), c.id) for c, slug in rows
        ]
        size = 0
        keys = load_signing_keys()  # made on first use (development profile)

        def render_inline(values, design):
            return render_pdf(*certificate_document(values, design), fonts_key=design.fonts_key)

        def layout(html, files, design):
            fonts = font_configuration(design.fonts_key)
            return HTML(string=html, url_fetcher=ConfinedFetcher(files)).render(font_config=fonts)

        def timed(key, function, *args, **kwargs):
            began = time.perf_counter()
            result = function(*args, **kwargs)
            timings[key].seconds.append(time.perf_counter() - began)
            return result

        for index in range(WARM_UP + rounds):
            values, design, certificate_id = samples[index % len(samples)]
            timed("floor", lambda: HTML(string=EMPTY_PAGE).write_pdf())
            timed("floor_helper", render_pdf, EMPTY_PAGE, None, timeout=seconds)
            timed("inline", render_inline, values, design)
            pdf = timed("helper", render_certificate, values, design)
            certificate = db.session.get(Certificate, certificate_id)
            signed = timed("sign", signing.seal, certificate, pdf)
            timings["render_sign"].seconds.append(
                timings["helper"].seconds[-1] + timings["sign"].seconds[-1]
            )
            size = len(signed)
            timed("credential", signing.signed_credential, certificate, keys)
            db.session.rollback()  # the status places drawn are not kept
            html, files = timed("html", certificate_document, values, design)
            document = timed("layout", layout, html, files, design)
            timed("write", document.write_pdf)
            if index == WARM_UP - 1:
                for timing in timings.values():
                    timing.seconds.clear()
    dispose(app)  # PostgreSQL copies the base database only when nobody is connected
    return timings, size


def signed_parts() -> dict:
    """What an institution adds to the design, as administrators would set it: two
    signatories with their signatures (600 x 180 transparent PNGs) and two partner logos
    (400 x 160 PNGs), so the figures are those of a full certificate."""
    import io

    from PIL import Image, ImageDraw

    def picture(size, mode, background):
        image = Image.new(mode, size, background)
        draw = ImageDraw.Draw(image)
        width, height = size
        draw.line([(20, height - 30), (150, 20), (300, height - 20), (width - 20, 40)],
                  (20, 40, 120) + ((255,) if mode == "RGBA" else ()), 8)  # fmt: skip
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()

    from app.certificates.signatories import printable

    # As stored when an administrator uploads them (app/certificates/signatories.py).
    signature = printable(picture((600, 180), "RGBA", (0, 0, 0, 0)))
    logo = printable(picture((400, 160), "RGB", "white"))
    return {
        "signatories": [
            {"name": "Ana María Directora", "title": "Directora general", "signature": "s1"},
            {"name": "Carlos Coordinador", "title": "Coordinador académico", "signature": "s2"},
        ],
        "partners": [{"name": "SENAI", "logo": "p1"}, {"name": "SENAC", "logo": "p2"}],
        "pictures": {
            "pictures/s1": signature,
            "pictures/s2": signature + b"\0",  # two files, as two people's signatures are
            "pictures/p1": logo,
            "pictures/p2": logo + b"\0",
        },
    }


def render_table(timings: dict[str, Timing]) -> list[list[str]]:
    floor = timings["floor"].median
    rows = [["render", "median ms", "p95 ms", "median ×floor"]]
    for timing in timings.values():
        rows.append(
            [
                timing.name,
                f"{timing.median * 1000:.1f}",
                f"{timing.p95 * 1000:.1f}",
                f"{timing.median / floor:.1f}",
            ]
        )
    return rows


# Verifying credentials ------------------------------------------------------------------------


def measure_verification(store: Store, count: int) -> tuple[Timing, float, int]:
    """`count` credentials checked by verify-credential's function, one at a time, warm, with
    the DID document and status list given (as `verify-credential --did-document F
    --status-list F` does): credentials of the base database's certificates, signed first.
    Returns the timing, the wall time of all, and how many distinct credentials."""
    from sqlalchemy import select

    from app.certificates import signing
    from app.certificates.credentials import did, keys, status
    from app.certificates.credentials.verify import verify_credential
    from app.certificates.models import Certificate
    from app.extensions import db

    app = make_app(app_env(store.database("base")))
    with app.app_context():
        signing_keys = keys.load_signing_keys()
        certificates = list(
            db.session.scalars(select(Certificate).order_by(Certificate.id).limit(count))
        )
        credentials = [signing.signed_credential(c, signing_keys) for c in certificates]
        lists = {
            entry["credentialStatus"]["statusListCredential"].rsplit("/", 1)[1]
            for entry in credentials
        }
        status_lists = {
            status.list_url(int(n)): status.signed_list(int(n), signing_keys) for n in lists
        }
        document = did.did_document(did.issuer_did(), keys.read_keyring(keys.folder()))
        db.session.rollback()  # the status places drawn are not kept

        def check(credential):
            url = credential["credentialStatus"]["statusListCredential"]
            return verify_credential(
                credential, did_document=document, status_list=status_lists[url]
            )

        for credential in credentials[:WARM_UP]:
            assert check(credential).verified
        timing = Timing(f"verify-credential's function, per credential ({count}, warm)")
        began = time.perf_counter()
        for index in range(count):
            started = time.perf_counter()
            result = check(credentials[index % len(credentials)])
            timing.seconds.append(time.perf_counter() - started)
            if not result.verified:
                sys.exit(f"a credential did not verify: {result.problems}")
        wall = time.perf_counter() - began
    dispose(app)
    return timing, wall, len(credentials)


def verification_bench_table(timing: Timing, wall: float) -> list[list[str]]:
    return [
        ["verifying", "median ms", "p95 ms", f"all {len(timing.seconds)} s"],
        [
            timing.name,
            f"{timing.median * 1000:.1f}",
            f"{timing.p95 * 1000:.1f}",
            f"{wall:.1f}",
        ],
    ]


# Bulk issue -----------------------------------------------------------------------------------


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except (redis.RedisError, OSError):
        return False


def queue_env(store: Store, name: str, redis_url: str, queue: str) -> dict:
    env = app_env(store.database(name))
    env.update(REDIS_URL=redis_url, JOBS_BACKEND="rq", JOBS_QUEUE=queue)
    return env


def start_issue(app, count: int, again: bool) -> int:
    """The bulk issue of the first `count` completed enrolments, committed (so queued)."""
    from sqlalchemy import select

    from app.certificates import services
    from app.extensions import db
    from app.seasons.models import Enrollment

    with app.app_context():
        seasons = db.session.scalars(
            select(Enrollment.season_id)
            .where(Enrollment.completed_at.is_not(None))
            .distinct()
            .order_by(Enrollment.season_id)
        )
        ids = [i for s in list(seasons) for i in services.completed_enrollment_ids(season_id=s)]
        actor = services.Actor(None, "bench")
        job = services.start_bulk_issue("bench", ids[:count], again=again, actor=actor)
        job_id = job.id
        db.session.commit()  # the tasks are queued now
        db.session.remove()
    return job_id


def job_state(engine, job_id: int) -> tuple[int, int, bool]:
    from sqlalchemy import text

    with engine.connect() as conn:
        # A job's figures are counted from its units (background_task rows).
        total, done, failed = conn.execute(
            text(
                "SELECT count(*), coalesce(sum(CASE WHEN state = 'done' THEN 1 ELSE 0 END), 0),"
                " coalesce(sum(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0)"
                " FROM background_task WHERE job_id = :id"
            ),
            {"id": job_id},
        ).one()
    return done, failed, done + failed >= total


def pdf_times(engine) -> tuple[datetime, datetime]:
    """When the first and the last PDF were stored."""
    from sqlalchemy import text

    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT min(rendered_at), max(rendered_at) FROM certificate_document")
        ).one()
    if row[0] is None:
        sys.exit("no PDF was stored")
    found = []
    for value in row:
        if isinstance(value, str):  # SQLite
            value = datetime.fromisoformat(value)
        found.append(value if value.tzinfo else value.replace(tzinfo=UTC))
    return found[0], found[1]


def document_count(engine) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM certificate_document"))


def worker(env: dict, log: Path, *, burst: bool) -> subprocess.Popen:
    args = [str(BIN / "flask"), "--app", "wsgi", "jobs", "worker"] + (["--burst"] * burst)
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # RQ's warm shutdown: idle, it leaves at once
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def wait_for_job(engine, job_id: int, processes: list, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        *_, finished = job_state(engine, job_id)
        if finished:
            return
        if processes and all(p.poll() is not None for p in processes):
            *_, finished = job_state(engine, job_id)
            if finished:
                return
            sys.exit(f"the workers stopped before job {job_id} finished:\n{tail(log)}")
        if time.monotonic() > deadline:
            sys.exit(f"job {job_id} did not finish in {timeout:.0f} s:\n{tail(log)}")
        time.sleep(0.05)


def bulk_rq(
    store: Store, name: str, workers: int, count: int, redis_url: str, queue: str, log: Path
) -> BulkRun:
    env = queue_env(store, name, redis_url, queue)
    app = make_app(env)
    engine = store.engine(name)
    processes: list[subprocess.Popen] = []
    try:
        started_at = datetime.now(UTC)
        began = time.perf_counter()
        job_id = start_issue(app, count, again=False)
        processes = [worker(env, log, burst=True) for _ in range(workers)]
        wait_for_job(engine, job_id, processes, log, timeout=60 + count * 5)
        wall = time.perf_counter() - began
        for process in processes:
            process.wait(timeout=60)  # a burst worker leaves once the queue is empty
        done, failed, _ = job_state(engine, job_id)
        return bulk_run(engine, workers, "rq", count, wall, started_at, done, failed)
    finally:
        for process in processes:
            stop(process)
        engine.dispose()
        dispose(app)


def bulk_pool(store: Store, name: str, workers: int, count: int) -> BulkRun:
    """Without Redis: the in-process pool (JOBS_POOL_SIZE threads), in this process."""
    from app.core import jobs

    env = app_env(store.database(name))
    env.update(JOBS_BACKEND="pool", JOBS_POOL_SIZE=str(workers))
    app = make_app(env)
    engine = store.engine(name)
    try:
        started_at = datetime.now(UTC)
        began = time.perf_counter()
        job_id = start_issue(app, count, again=False)
        jobs.wait_for_pool(app)
        wait_for_job(engine, job_id, [], Path("/dev/null"), timeout=60)
        wall = time.perf_counter() - began
        done, failed, _ = job_state(engine, job_id)
        return bulk_run(engine, workers, "pool", count, wall, started_at, done, failed)
    finally:
        engine.dispose()
        dispose(app)


def bulk_run(engine, workers, backend, count, wall, started_at, done, failed) -> BulkRun:
    from sqlalchemy import text

    first, last = pdf_times(engine)
    steady = (last - first).total_seconds() / max(1, count - 1)
    first_pdf = (first - started_at).total_seconds()
    with engine.connect() as conn:
        failures = conn.execute(
            text(
                "SELECT message, count(*) FROM background_task"
                " WHERE job_id IS NOT NULL AND state = 'failed' GROUP BY message"
            )
        ).all()
    return BulkRun(workers, backend, count, wall, first_pdf, steady, done, failed,
                   document_count(engine), [tuple(row) for row in failures])  # fmt: skip


def dispose(app) -> None:
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def bulk_table(runs: list[BulkRun], single: float) -> list[list[str]]:
    """Wall time, and the rate between the first and the last PDF (without start-up)."""
    count = runs[0].certificates
    rows = [["workers", "backend", "wall s", f"wall / ({count} × one render)",
             "start → first PDF s", "ms per certificate after it", "× one render",
             "done / failed / PDFs"]]  # fmt: skip
    for run in runs:
        rows.append(
            [
                str(run.workers),
                run.backend,
                f"{run.wall:.1f}",
                f"{run.wall / (run.certificates * single):.2f}",
                f"{run.first_pdf:.1f}",
                f"{run.steady * 1000:.0f}",
                f"{run.steady / single:.2f}",
                f"{run.done} / {run.failed} / {run.documents}",
            ]
        )
    return rows


def clean_redis(redis_url: str, queues: list[str]) -> int:
    """Remove what our queues left in Redis (jobs, results, registries); only our keys."""
    import redis
    from rq import Queue

    connection = redis.Redis.from_url(redis_url)
    removed = 0
    for name in queues:
        queue = Queue(name, connection=connection)
        ids = set(queue.job_ids)
        for registry in (
            queue.finished_job_registry,
            queue.failed_job_registry,
            queue.started_job_registry,
            queue.deferred_job_registry,
            queue.scheduled_job_registry,
            queue.canceled_job_registry,
        ):
            with suppress(Exception):
                ids.update(registry.get_job_ids())
        keys = set()
        for job_id in ids:
            keys.update(connection.scan_iter(match=f"rq:*{job_id}*"))
        keys.update(connection.scan_iter(match=f"*{name}*"))
        if keys:
            removed += connection.delete(*keys)
        connection.srem("rq:queues", f"rq:queue:{name}")
    return removed


# Memory -------------------------------------------------------------------------------------


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes (empty once it has gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    found = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    return found


def helpers_of(pid: int) -> list[int]:
    """The worker's render helper processes (spawned pool workers, not the resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def measure_memory(
    store: Store, renders: int, count: int, redis_url: str, queue: str, log: Path
) -> Memory:
    """One long-running `flask jobs worker` issues `count` certificates, then re-issues them
    (new editions, rendered again) until it has made `renders` PDFs; RSS after each job.

    The helper's figure after a job is that of the helper which made its last PDFs: read after
    the job if it is still there, else its last reading (it was replaced, every
    RENDERS_PER_PROCESS renders, and a fresh one has rendered nothing)."""
    store.copy("issues", "memory")
    env = queue_env(store, "memory", redis_url, queue)
    app = make_app(env)
    engine = store.engine("memory")
    process = worker(env, log, burst=False)
    checkpoints = []
    worker_peak = helper_peak = sum_peak = 0
    seen: set[int] = set()
    last_helper = (0, 0)  # (pid, VmRSS) of the largest live helper at the latest reading

    def sample() -> tuple[int, dict[int, int]]:
        nonlocal worker_peak, helper_peak, sum_peak, last_helper
        own = status(process.pid)
        helpers = {pid: status(pid) for pid in helpers_of(process.pid)}
        live = {pid: found["VmRSS"] for pid, found in helpers.items() if "VmRSS" in found}
        seen.update(live)
        rss = own.get("VmRSS", 0)
        worker_peak = max(worker_peak, own.get("VmHWM", 0))
        helper_peak = max([helper_peak] + [found.get("VmHWM", 0) for found in helpers.values()])
        sum_peak = max(sum_peak, rss + sum(live.values()))
        if live:
            last_helper = max(live.items(), key=lambda item: item[1])
        return rss, live

    try:
        made = 0
        again = False
        while made < renders:
            job_id = start_issue(app, min(count, renders - made), again=again)
            deadline = time.monotonic() + 60 + count * 5
            while not job_state(engine, job_id)[2]:
                if process.poll() is not None:
                    sys.exit(f"the worker stopped:\n{tail(log)}")
                if time.monotonic() > deadline:
                    sys.exit(f"job {job_id} did not finish:\n{tail(log)}")
                sample()
                time.sleep(0.25)
            done, failed, _ = job_state(engine, job_id)
            made += done
            if failed:
                sys.exit(f"job {job_id}: {failed} failed:\n{tail(log)}")
            pid, last_rss = last_helper
            time.sleep(0.5)  # the last task's commit and the worker back at the queue
            rss, live = sample()
            replaced = pid not in live
            checkpoints.append((made, rss, last_rss if replaced else live[pid], replaced))
            again = True
    finally:
        stop(process)
        engine.dispose()
        dispose(app)
    return Memory(checkpoints, worker_peak, helper_peak, sum_peak, len(seen))


def memory_table(memory: Memory) -> list[list[str]]:
    def mb(n: int) -> str:
        return f"{n / MB:.0f}"

    def helper(rss: int, replaced: bool) -> str:
        return f"{mb(rss)}†" if replaced else mb(rss)

    marks = memory.checkpoints
    rows = [["process"] + [f"RSS MB after {n:,} renders" for n, *_ in marks] + ["peak MB"]]
    rows.append(["flask jobs worker"] + [mb(w) for _, w, *_ in marks]
                + [f"{mb(memory.worker_peak)} (VmHWM)"])  # fmt: skip
    rows.append(["its render helper"] + [helper(h, r) for _, _, h, r in marks]
                + [f"{mb(memory.helper_peak)} (VmHWM)"])  # fmt: skip
    rows.append(["together"] + [mb(w + h) for _, w, h, _ in marks]
                + [f"{mb(memory.sum_peak)} (sampled)"])  # fmt: skip
    return rows


# Verification page ----------------------------------------------------------------------------


def verification_page(store: Store, name: str) -> Page:
    """SQL and bytes of /verify/<code> for a visitor, for a certificate the job issued."""
    from sqlalchemy import text

    from app.certificates.codes import group

    engine = store.engine(name)
    with engine.connect() as conn:
        code = conn.scalar(text("SELECT code FROM certificate ORDER BY id LIMIT 1"))
    engine.dispose()
    page = Page("verification", f"/verify/{group(code)}", "visitor")
    saved = dict(os.environ)
    try:
        measure_in_process(store.database(name), [page], "large", {})
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return page


def verification_table(page: Page) -> list[list[str]]:
    return [
        ["page", "as", "SQL", "HTML KB gz/raw", "HTML+CSS+JS KB gz/raw"],
        [
            page.name,
            page.who,
            str(page.queries["large"]),
            f"{page.html_sent / 1024:.1f} / {page.html_raw / 1024:.1f}",
            f"{page.total_sent / 1024:.1f} / {page.total_raw / 1024:.1f}",
        ],
    ]


# Output ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=40, help="timed renders of each kind (40)")
    parser.add_argument(
        "--certificates", type=int, default=500, help="certificates a bulk issue issues (500)"
    )
    parser.add_argument(
        "--credentials", type=int, default=1000, help="credentials verified one by one (1000)"
    )
    parser.add_argument(
        "--memory-renders",
        type=int,
        default=1000,
        help="renders before the worker's memory is read (1000; 0: skip)",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS_URL", REDIS_DEFAULT),
        help=f"Redis for the job queues ({REDIS_DEFAULT})",
    )
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=POSTGRES_ADMIN,
        default=None,
        metavar="ADMIN_URL",
        help=f"PostgreSQL instead of SQLite; databases {POSTGRES_PREFIX}_* are "
        f"made with ADMIN_URL ({POSTGRES_ADMIN}) and dropped",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="only the render table (no bulk issue, memory or verification figures)",
    )
    options = parser.parse_args()
    if options.renders < 1 or options.certificates < 1 or options.credentials < 1:
        parser.error("--renders, --certificates and --credentials must be at least 1")
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="aula-bench-certificates-"))
    # The credentials' keyring, made on first use and shared by every process of the run.
    os.environ["CREDENTIAL_KEYS_DIR"] = str(folder / "credential-keys")
    store = Store(folder, options.postgres)
    token = f"{os.getpid()}-{secrets.token_hex(3)}"
    queues: list[str] = []
    use_redis = redis_reachable(options.redis)
    try:
        print(f"Building the database ({store.kind})...", file=sys.stderr)
        completed = build_base(store, options.certificates)
        print(f"Renders: {WARM_UP} to warm up, then {options.renders} of each...", file=sys.stderr)
        timings, pdf_size = measure_renders(store, options.renders)
        single = timings["helper"].median
        if options.render_only:
            print(f"\n{plain(render_table(timings))}\n\n{markdown(render_table(timings))}")
            print(
                f"({pdf_size / 1024:.0f} KB PDF; x floor of the job's path: "
                f"{single / timings['floor'].median:.1f})"
            )
            return
        print(f"Verifying {options.credentials} credentials...", file=sys.stderr)
        verifying = measure_verification(store, options.credentials)
        prepare_for_issue(store)
        runs = []
        for workers in (1, 2):
            print(f"Bulk issue of {options.certificates}, {workers} worker(s)...", file=sys.stderr)
            name = f"bulk{workers}"
            store.copy("issues", name)
            if use_redis:
                queues.append(f"aula-bench-certificates-{token}-{workers}")
                log = folder / f"worker-{workers}.log"
                run = bulk_rq(
                    store, name, workers, options.certificates, options.redis, queues[-1], log
                )
            else:
                run = bulk_pool(store, name, workers, options.certificates)
            runs.append(run)
        memory = None
        if options.memory_renders and use_redis:
            print(f"Worker memory over {options.memory_renders} renders...", file=sys.stderr)
            queues.append(f"aula-bench-certificates-{token}-memory")
            memory = measure_memory(
                store,
                options.memory_renders,
                options.certificates,
                options.redis,
                queues[-1],
                folder / "worker-memory.log",
            )
        verify = verification_page(store, "bulk1")
    finally:
        removed = clean_redis(options.redis, queues) if queues else 0
        store.drop_all()
        shutil.rmtree(folder, ignore_errors=True)

    from app.core.pdf import RENDERS_PER_PROCESS

    tables = [("Rendering one certificate", render_table(timings))]
    tables.append(("Verifying credentials", verification_bench_table(verifying[0], verifying[1])))
    tables.append((f"Issuing {options.certificates} certificates", bulk_table(runs, single)))
    if memory:
        tables.append(("Worker memory", memory_table(memory)))
    tables.append(("Verification page", verification_table(verify)))
    ratio = single / timings["floor"].median
    signed_ratio = timings["render_sign"].median / single
    if use_redis:
        how = (
            "`flask jobs worker --burst` processes (RQ on Redis) started; wall time until the "
            "job row is finished, worker start-up included; each run on a fresh copy."
        )
    else:
        how = (
            f"REDIS IS NOT REACHABLE at {options.redis}: JOBS_BACKEND=pool with "
            "JOBS_POOL_SIZE 1 and 2 in this process instead, whose threads share one helper."
        )
    notes = [
        f"Render: median of {options.renders} after {WARM_UP} to warm up, interleaved, "
        f"certificates of the database in turn (default design, {pdf_size / 1024:.0f} KB PDF). "
        f"A job's render is {ratio:.1f}× the empty page (target: under 1.5×).",
        f"Signing (credential + PAdES PDF signature, signing.seal) takes "
        f"{timings['sign'].median * 1000:.0f} ms: a certificate rendered and signed is "
        f"{signed_ratio:.2f}× today's render, in the same run (the bulk issue below signs too).",
        f"Verifying: {options.credentials} verifications of {verifying[2]} distinct credentials "
        "in one process after "
        f"{WARM_UP} to warm up, proof (RDFC-1.0 + Ed25519) and status (the list's own proof "
        "and bit) each time, DID document and status list given as files would be.",
        f"Bulk issue: `services.start_bulk_issue` of {options.certificates} completed "
        f"enrolments (of {completed}) with no certificate yet, committed, then {how} "
        "Ratios to the median render through the helper: of the wall time to "
        f"{options.certificates} renders, and of the time per certificate between the first "
        "and the last stored PDF (start-up left out).",
    ]
    for run in runs:
        for message, times in run.failures:
            notes.append(f"FAILED with {run.workers} worker(s), {times}×: {message[:300]}")
    if memory:
        notes.append(
            "Memory: one `flask jobs worker` (not --burst) issuing, then re-issuing; VmRSS "
            "from /proc after each job. The helper is replaced every "
            f"{RENDERS_PER_PROCESS} renders (RENDERS_PER_PROCESS; {memory.helpers_seen} seen): "
            "† marks the last reading (every 0.25 s) of the helper that made the job's last "
            "PDFs, before it was replaced."
        )
    elif options.memory_renders:
        notes.append("Memory: not measured (it needs a worker, so Redis).")
    notes.append(
        f"Verification: statements per request for a visitor (second request, in process), "
        f"target ≤ 2; a certificate the bulk issue made. Databases: {store.kind}, "
        f"{os.cpu_count()} CPUs."
    )
    print()
    for title, rows in tables:
        print(f"{title}\n\n{plain(rows)}\n")
    for note in notes:
        print(note)
    print("\nMarkdown:\n")
    for title, rows in tables:
        print(f"**{title}**\n\n{markdown(rows)}\n")
    for note in notes:
        print(f"- {note}")
    print(f"\n({time.monotonic() - started:.0f} s; {removed} Redis keys removed)", file=sys.stderr)


if __name__ == "__main__":
    main()
