"""Page figures for `make bench`: SQL queries per request (small and large data), bytes
transferred, and latency and throughput under concurrent load beside a trivial Flask view.

Run from the repository root: `.venv/bin/python -m bench.pages` (options: --help).
Everything is built in a temporary folder (two SQLite databases) and removed afterwards.
"""

import argparse
import http.client
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SMALL, LARGE = 10, 1_000
SEED = 2024
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ASSET_RE = re.compile(
    r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"|<script[^>]+src="([^"]+)"', re.I
)
# `flask demo setup` keeps the demo passwords in the repository's instance/ folder (the app's
# instance path is fixed there); the bench puts back whatever was there before it ran.
DEMO_ACCOUNT_FILES = "demo_*_password"
TUTOR_EMAIL = "tutor@aula.example"


@dataclass
class Page:
    name: str
    path: str
    who: str  # "visitor", "learner" or "tutor"
    paths: dict = field(default_factory=dict)  # "small"/"large" -> path, where they differ
    queries: dict = field(default_factory=dict)  # "small"/"large" -> count
    html_raw: int = 0
    html_sent: int = 0
    total_raw: int = 0
    total_sent: int = 0
    load: "Load | None" = None
    trivial: "Load | None" = None  # the trivial view, measured just before this page


@dataclass
class Load:
    requests: int
    errors: int
    seconds: float
    p50: float
    p95: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


# Databases ---------------------------------------------------------------------------------


def flask(env: dict, *args: str) -> str:
    result = subprocess.run(  # noqa: S603  (our own flask, fixed arguments)
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def app_env(database: Path | str) -> dict:
    """The environment of the app on `database`: a SQLite file, or a database URL."""
    env = dict(os.environ)
    env.update(
        AULA_ENV="development",
        DATABASE_URL=database if isinstance(database, str) else f"sqlite:///{database}",
        # Given here so that nothing is generated into instance/secret_key.
        SECRET_KEY="bench-secret-key-not-for-production",  # noqa: S106
        PYTHONPATH=str(ROOT),
        # The verification pages' limit (30 a minute) would answer the load with 429s; the
        # limiter still runs, as in production.
        VERIFY_RATE_LIMIT="1000000 per minute",
    )
    for name in ("REDIS_URL", "JOBS_BACKEND", "JOBS_QUEUE", "JOBS_POOL_SIZE"):
        env.pop(name, None)
    env.pop("SMTP_HOST", None)
    return env


@contextmanager
def instance_files_kept():
    """Put back the demo password files `flask demo setup` writes in instance/ (every
    `demo_*_password`: the administrator's, the tutor's, the coordinators', the learner's),
    and remove those it added."""
    instance = ROOT / "instance"
    existed = instance.is_dir()
    saved = {path.name: path.read_bytes() for path in instance.glob(DEMO_ACCOUNT_FILES)}
    try:
        yield
    finally:
        for path in instance.glob(DEMO_ACCOUNT_FILES):
            if path.name not in saved:
                path.unlink(missing_ok=True)
        for name, data in saved.items():
            (instance / name).write_bytes(data)
            (instance / name).chmod(0o600)
        if not existed:
            with suppress(OSError):  # only if empty: someone else may have put files there
                instance.rmdir()


def build_databases(folder: Path, sizes: dict | None = None) -> tuple[dict[str, Path], str]:
    """A database for each size (label -> generated learners; small and large by default),
    and the demo tutor's password."""
    base = folder / "base.db"
    env = app_env(base)
    flask(env, "db", "upgrade")
    flask(env, "content", "import", "course_content")
    flask(env, "demo", "setup")
    tutor_password = (ROOT / "instance" / "demo_tutor_password").read_text().strip()
    databases = {}
    for label, learners in (sizes or {"small": SMALL, "large": LARGE}).items():
        path = folder / f"{label}.db"
        with sqlite3.connect(base) as source, sqlite3.connect(path) as target:
            source.backup(target)  # a consistent copy, whatever the WAL holds
        out = flask(app_env(path), "demo", "generate", "--learners", str(learners),
                    "--seed", str(SEED))  # fmt: skip
        print(f"  {label}: {out.splitlines()[0]}", file=sys.stderr)
        databases[label] = path
    return databases, tutor_password


def pick_learner(database: Path) -> tuple[str, str]:
    """A generated learner enrolled in green-jobs (with the most places), and its first lesson."""
    with sqlite3.connect(database) as conn:
        (email,) = conn.execute(
            """
            SELECT u.email FROM user_account u JOIN enrollment e ON e.user_id = u.id
            WHERE u.email LIKE '%@learners.aula.example'
            GROUP BY u.id
            HAVING sum(e.course_id = (SELECT id FROM course WHERE slug = 'green-jobs')) = 1
            ORDER BY count(*) DESC, u.id LIMIT 1
            """
        ).fetchone()
        (lesson,) = conn.execute(
            """
            SELECT i.slug FROM course_item i JOIN course c ON c.id = i.course_id
            WHERE c.slug = 'green-jobs' AND i.kind = 'lesson' ORDER BY i.position LIMIT 1
            """
        ).fetchone()
    return email, lesson


def verification_path(database: Path, learner_email: str) -> str:
    """`/verify/<code>` of a certificate of the database. Small data has none (none of its 10
    learners has completed a course), so there one enrolment of another learner is marked
    completed and certified with `flask certificates issue --enrollment` first."""
    from app.certificates.codes import group

    with sqlite3.connect(database) as conn:
        found = conn.execute("SELECT code FROM certificate ORDER BY id LIMIT 1").fetchone()
        if found is None:
            (enrollment_id,) = conn.execute(
                """
                SELECT e.id FROM enrollment e JOIN user_account u ON u.id = e.user_id
                WHERE u.email LIKE '%@learners.aula.example' AND u.email != ?
                ORDER BY e.id LIMIT 1
                """,
                (learner_email,),
            ).fetchone()
            now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            conn.execute(
                "UPDATE enrollment SET completed_at = ? WHERE id = ?", (now, enrollment_id)
            )
    if found is None:
        flask(app_env(database), "certificates", "issue", "--enrollment", str(enrollment_id))
        with sqlite3.connect(database) as conn:
            found = conn.execute("SELECT code FROM certificate ORDER BY id LIMIT 1").fetchone()
    return f"/verify/{group(found[0])}"


ACCEPT_COMPRESSED = {"Accept-Encoding": "gzip, deflate"}

# Queries and bytes (in process) -----------------------------------------------------------


def measure_in_process(database: Path, pages: list[Page], label: str, credentials: dict) -> None:
    """Queries per request for every page, counted on a second request (the first warms
    caches), and on the large run the bytes of the page and what it links."""
    os.environ.update(app_env(database))
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db

    app = create_app()
    clients = {}
    for who in {page.who for page in pages}:
        client = app.test_client()
        if who != "visitor":
            email, password = credentials[who]
            form = client.get("/login").get_data(as_text=True)
            token = CSRF_RE.search(form).group(1)
            response = client.post(
                "/login", data={"email": email, "password": password, "csrf_token": token}
            )
            if response.status_code != 302:
                sys.exit(f"could not sign in as {email} ({response.status_code})")
        clients[who] = client
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for page in pages:
            client = clients[page.who]
            path = page.paths.get(label, page.path)
            client.get(path)
            statements.clear()
            response = client.get(path)
            if response.status_code != 200:
                sys.exit(f"{path} as {page.who}: {response.status_code}")
            page.queries[label] = len(statements)
            if label != "large":
                continue
            html = response.get_data()
            # What the server sends a browser that accepts compression (plain HTTP: "gzip,
            # deflate"), beside the uncompressed size.
            sent = client.get(path, headers=ACCEPT_COMPRESSED)
            page.html_raw, page.html_sent = len(html), len(sent.get_data())
            page.total_raw, page.total_sent = page.html_raw, page.html_sent
            for css, js in ASSET_RE.findall(html.decode()):
                page.total_raw += len(client.get(css or js).get_data())
                page.total_sent += len(client.get(css or js, headers=ACCEPT_COMPRESSED).get_data())
    finally:
        event.remove(engine, "before_cursor_execute", count)
        with app.app_context():
            db.engine.dispose()


# Load (gunicorn) --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app_path: str, env: dict, workers: int, threads: int, ready_path: str = "/healthz"):
    """gunicorn serving `app_path`, the app imported once before the workers fork
    (`--preload`), waited for until `ready_path` answers 200: on a loaded machine start-up
    may take long, so the deadline is generous."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603  (our own gunicorn, fixed arguments)
        [str(BIN / "gunicorn"), "--preload", "--workers", str(workers), "--worker-class",
         "gthread", "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--log-level", "warning", app_path],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", ready_path)
                if conn.getresponse().status == 200:
                    conn.close()
                    break
                conn.close()
            except (OSError, http.client.HTTPException):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"gunicorn {app_path} did not start")
            time.sleep(0.5)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def cookie_header(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def request(conn, method, path, jar, body=None, headers=None):
    headers = dict(headers or {})
    if jar:
        headers["Cookie"] = cookie_header(jar)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    for header in response.headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            jar[name] = morsel.value
    return response.status, data


def sign_in(port: int, email: str, password: str) -> dict:
    """Cookies of a session opened through the real login form."""
    jar: dict = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    _status, form = request(conn, "GET", "/login", jar)
    token = CSRF_RE.search(form.decode()).group(1)
    body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
    status, _ = request(conn, "POST", "/login", jar, body,
                        {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    conn.close()
    if status != 302:
        sys.exit(f"could not sign in as {email} on the server ({status})")
    return jar


def load(port: int, path: str, jar: dict, clients: int, seconds: float) -> Load:
    """`clients` threads, each on its own keep-alive connection, for `seconds`."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start_gate = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        own_jar = dict(jar)
        request(conn, "GET", path, own_jar)  # warm the connection and the worker
        start_gate.wait()
        while time.perf_counter() < stop_at[0]:
            began = time.perf_counter()
            try:
                status, _ = request(conn, "GET", path, own_jar)
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            latencies[index].append(time.perf_counter() - began)
            if status != 200:
                errors[index] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds + 5  # provisional, until every client is ready
    start_gate.wait()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = sorted(t for own in latencies for t in own)
    if not every:
        sys.exit(f"no response from {path}")
    return Load(
        requests=len(every),
        errors=sum(errors),
        seconds=elapsed,
        p50=statistics.median(every) * 1000,
        p95=every[min(len(every) - 1, int(len(every) * 0.95))] * 1000,
    )


# Output -------------------------------------------------------------------------------------


def kb(n: int) -> str:
    return f"{n / 1024:.1f}"


def table(pages: list[Page]) -> list[list[str]]:
    header = ["page", "as", f"SQL ({SMALL})", f"SQL ({LARGE})", "HTML KB gz/raw",
              "HTML+CSS+JS KB gz/raw", "p50 ms", "p95 ms", "req/s", "p50 ×trivial",
              "req/s % trivial"]  # fmt: skip
    rows = [header]
    for page in pages:
        got, trivial = page.load, page.trivial
        rows.append(
            [
                page.name,
                page.who,
                str(page.queries["small"]),
                str(page.queries["large"]),
                f"{kb(page.html_sent)} / {kb(page.html_raw)}",
                f"{kb(page.total_sent)} / {kb(page.total_raw)}",
                f"{got.p50:.1f}",
                f"{got.p95:.1f}",
                f"{got.per_second:.0f}",
                f"{got.p50 / trivial.p50:.1f}",
                f"{100 * got.per_second / trivial.per_second:.0f}%",
            ]
        )
    trivial = [page.trivial for page in pages]
    p50 = statistics.median(t.p50 for t in trivial)
    p95 = statistics.median(t.p95 for t in trivial)
    per_second = statistics.median(t.per_second for t in trivial)
    rows.append(["trivial Flask view (median)", "visitor", "–", "–", "–", "–", f"{p50:.1f}",
                 f"{p95:.1f}", f"{per_second:.0f}", "1.0", "100%"])  # fmt: skip
    return rows


def plain(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]  # fmt: skip
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def report(rows: list[list[str]], notes: list[str], started: float) -> None:
    """The table and its notes in plain text, then again in Markdown for the README."""
    print()
    print(plain(rows))
    print()
    for note in notes:
        print(note)
    print("\nMarkdown:\n")
    print(markdown(rows))
    print()
    for note in notes:
        print(f"- {note}")
    print(f"\n({time.monotonic() - started:.0f} s)", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--seconds", type=float, default=10, help="load per page (10)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (2)")
    options = parser.parse_args()
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="aula-bench-"))
    try:
        with instance_files_kept():
            print(f"Building the databases ({SMALL} and {LARGE} learners)...", file=sys.stderr)
            databases, tutor_password = build_databases(folder)
        email, lesson = pick_learner(databases["large"])
        pages = [
            Page("catalog", "/courses", "visitor"),
            Page("course page", "/courses/green-jobs", "visitor"),
            Page("catalog", "/courses", "learner"),
            Page("lesson", f"/learn/green-jobs/{lesson}", "learner"),
            Page("dashboard", "/dashboard", "learner"),
            Page("tutor queue", "/tutor/capstones", "tutor"),
            Page("verification", "", "visitor"),
        ]
        for label in ("small", "large"):
            small_email, _ = pick_learner(databases[label])
            pages[-1].paths[label] = verification_path(databases[label], small_email)
            credentials = {
                "learner": (small_email, "aula-demo-learner"),
                "tutor": (TUTOR_EMAIL, tutor_password),
            }
            measure_in_process(databases[label], pages, label, credentials)
        pages[-1].path = pages[-1].paths["large"]
        env = app_env(databases["large"])
        server = (options.workers, options.threads)
        print(f"Load: {options.clients} clients, {options.seconds:g} s a page...", file=sys.stderr)
        # Both servers run side by side; the trivial view is measured again just before each
        # page, so each ratio compares two figures taken under the same load on the machine.
        with gunicorn("bench.trivial_app:app", env, *server, ready_path="/") as trivial_port, \
                gunicorn("wsgi:app", env, *server) as port:  # fmt: skip
            jars = {
                "visitor": {},
                "learner": sign_in(port, email, "aula-demo-learner"),
                "tutor": sign_in(port, TUTOR_EMAIL, tutor_password),
            }
            for page in pages:
                page.trivial = load(trivial_port, "/", {}, options.clients, options.seconds)
                page.load = load(port, page.path, jars[page.who], options.clients, options.seconds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows = table(pages)
    errors = sum(p.load.errors + p.trivial.errors for p in pages)
    notes = [
        f"SQL: statements per request (in process, second request), with {SMALL} and {LARGE} "
        "generated learners (`flask demo generate`). Bytes: as sent to a browser accepting "
        "gzip and deflate (Flask-Compress) / uncompressed, large data.",
        f"Load: gunicorn, {options.workers} workers × {options.threads} gthread threads, "
        f"large data (SQLite), {options.clients} keep-alive clients for {options.seconds:g} s a "
        f"page, on this machine ({os.cpu_count()} CPUs, client and server sharing them).",
        "Visitors' pages come from the page cache (app/core/page_cache.py); the load's "
        "visitors keep their session cookie, as a browser does, but send no If-None-Match. "
        "The trivial view is measured again just before each page (both servers run side by "
        "side, `--preload`); ×trivial and % trivial compare each page with that figure.",
        f"Lesson: {pages[3].path}. Verification: /verify/<code> of a certificate (small "
        "data has none: one enrolment is completed and certified for it), with "
        "VERIFY_RATE_LIMIT raised so the load gets no 429. "
        f"Errors (non-200 or broken connections): {errors}.",
        "Certificate figures (rendering, bulk issue, worker memory): `python -m "
        "bench.certificates`.",
    ]
    report(rows, notes, started)


if __name__ == "__main__":
    main()
