"""CPU per request, in process, and where it goes: `make bench` prints it beside the load
figures of bench/pages.py.

Run from the repository root: `.venv/bin/python -m bench.profile` (options: --help).
It builds SQLite databases with 1,000 and 10,000 generated learners (`flask demo generate`) in
a temporary folder, and for each page measures, after warming up:

- CPU milliseconds per request (process time over --requests requests through Flask's test
  client, the fastest of three passes, signed in through the real login form), beside a bare
  Flask view and Aula's own empty route (a view that returns nothing, signed in: session,
  locale, Flask-Login) and the base layout alone, measured the same way in the same run;
- SQL milliseconds per request (time between the driver's cursor events);
- with cProfile, the share of CPU in each part (ORM, SQL statements built and compiled,
  Jinja, Babel, forms and CSRF, Flask and Werkzeug, compression, Aula's own code...).

Growth: each page at 10,000 learners against its figure at 1,000. Everything it made is
removed afterwards.
"""

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.pages import (
    CSRF_RE,
    TUTOR_EMAIL,
    app_env,
    build_databases,
    instance_files_kept,
    pick_learner,
    report,
    verification_path,
)

SIZES = {"1k": 1_000, "10k": 10_000}
EMPTY, LAYOUT = "/__bench/empty", "/__bench/layout"
# Passes over both databases; each page keeps its fastest. Three left ratios of figures of
# 0.01 to 0.1 ms moving by a quarter between runs on a shared machine.
RUNS = 5

# Where CPU goes, by the file a function lives in (first match wins).
PARTS = [
    ("SQL driver", ("sqlite3", "psycopg", "method 'execute'", "method 'fetch")),
    ("ORM", ("sqlalchemy/orm/",)),
    ("SQL build+compile", ("sqlalchemy/",)),
    ("Jinja", ("jinja2/", "templates/", "<template>")),
    ("Babel", ("babel/", "flask_babel/")),
    ("forms+CSRF", ("wtforms/", "flask_wtf/", "itsdangerous/")),
    ("limiter", ("flask_limiter/", "limits/")),
    ("login+session", ("flask_login/",)),
    ("compression", ("flask_compress/", "brotli", "zlib", "gzip")),
    ("Flask+Werkzeug", ("flask/", "werkzeug/", "blinker/")),
    ("Aula", ("/app/",)),
]


@dataclass
class Figure:
    cpu_ms: float
    sql_ms: float
    parts: dict = field(default_factory=dict)


@dataclass
class Row:
    name: str
    who: str
    path: str = ""
    paths: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)  # size label -> Figure


def part_of(filename: str, function: str) -> str:
    where = f"{filename} {function}"
    for name, needles in PARTS:
        if any(needle in where for needle in needles):
            return name
    return "other"


def breakdown(profile: cProfile.Profile) -> dict[str, float]:
    """Share of CPU (self time) per part."""
    stats = pstats.Stats(profile)
    totals: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        part = part_of(filename, function)
        totals[part] = totals.get(part, 0.0) + tottime
    whole = sum(totals.values()) or 1.0
    return {part: 100 * seconds / whole for part, seconds in totals.items()}


@contextmanager
def sql_timer(engine):
    from sqlalchemy import event

    spent = [0.0]
    started = {}

    def before(conn, cursor, statement, parameters, context, executemany):
        started[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        spent[0] += time.perf_counter() - started.pop(id(cursor), time.perf_counter())

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield spent
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def measure(client, path: str, requests: int, engine=None, profiled=True) -> Figure:
    for _ in range(10):
        assert client.get(path).status_code == 200, path
    with sql_timer(engine) if engine is not None else _nothing() as sql:
        began = time.process_time()
        for _ in range(requests):
            client.get(path)
        cpu = time.process_time() - began
    parts = {}
    if profiled:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(max(20, requests // 4)):
            client.get(path)
        profile.disable()
        parts = breakdown(profile)
    return Figure(cpu * 1000 / requests, sql[0] * 1000 / requests, parts)


def keep_fastest(figures: dict, label: str, found: Figure) -> None:
    """Keep the fastest pass's CPU and SQL figures (and the first pass's breakdown): on a
    shared machine a pass is only ever slowed down by others, never sped up."""
    kept = figures.get(label)
    if kept is None:
        figures[label] = found
    else:
        figures[label] = Figure(
            min(kept.cpu_ms, found.cpu_ms), min(kept.sql_ms, found.sql_ms), kept.parts
        )


@contextmanager
def _nothing():
    yield [0.0]


def bare_flask_figure(requests: int) -> Figure:
    from flask import Flask

    bare = Flask("bare")
    bare.add_url_rule("/", "index", lambda: "ok")
    figures: dict = {}
    for run in range(RUNS):
        keep_fastest(figures, "bare", measure(bare.test_client(), "/", requests, None, run == 0))
    return figures["bare"]


def sign_in(app, email: str, password: str):
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = CSRF_RE.search(form).group(1)
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token})  # fmt: skip
    if response.status_code != 302:
        sys.exit(f"could not sign in as {email} ({response.status_code})")
    return client


def profile_database(database: Path, rows: list[Row], label: str, credentials: dict,
                     requests: int, profiled: bool) -> None:  # fmt: skip
    os.environ.update(app_env(database))
    from flask import render_template
    from flask_login import current_user

    from app import create_app
    from app.extensions import db

    app = create_app()
    # Aula's own empty route (session, locale, the signed-in user loaded) and the layout alone.
    app.add_url_rule(EMPTY, "bench_empty", lambda: "" if current_user.is_authenticated else "")
    app.add_url_rule(LAYOUT, "bench_layout", lambda: render_template("base.html"))
    clients = {"visitor": app.test_client()}
    for who, (email, password) in credentials.items():
        clients[who] = sign_in(app, email, password)
    with app.app_context():
        engine = db.engine
    try:
        for row in rows:
            path = row.paths.get(label, row.path)
            found = measure(clients[row.who], path, requests, engine, profiled)
            keep_fastest(row.figures, label, found)
            print(f"  {label} {row.name}: {found.cpu_ms:.1f} ms", file=sys.stderr)
    finally:
        with app.app_context():
            db.engine.dispose()


def parts_text(figure: Figure, top: int = 4) -> str:
    ranked = sorted(figure.parts.items(), key=lambda item: -item[1])[:top]
    return ", ".join(f"{name} {share:.0f} %" for name, share in ranked)


def tables(rows: list[Row], bare: Figure) -> list[list[str]]:
    empty = next(row for row in rows if row.path == EMPTY).figures
    header = ["page", "as", "CPU ms (1k)", "× empty", "SQL ms (1k)", "CPU ms (10k)",
              "SQL ms (10k)", "CPU 10k/1k", "SQL 10k/1k", "where CPU goes (1k)"]  # fmt: skip
    out = [header, ["bare Flask view", "visitor", f"{bare.cpu_ms:.2f}",
                    f"{bare.cpu_ms / empty['1k'].cpu_ms:.2f}", "–", "–", "–", "–", "–",
                    parts_text(bare)]]  # fmt: skip
    for row in rows:
        small, large = row.figures["1k"], row.figures["10k"]
        out.append(
            [
                row.name,
                row.who,
                f"{small.cpu_ms:.1f}",
                f"{small.cpu_ms / empty['1k'].cpu_ms:.1f}",
                f"{small.sql_ms:.2f}",
                f"{large.cpu_ms:.1f}",
                f"{large.sql_ms:.2f}",
                f"{large.cpu_ms / small.cpu_ms:.2f}",
                f"{large.sql_ms / small.sql_ms:.2f}" if small.sql_ms else "–",
                parts_text(small),
            ]
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests a page (200)")
    options = parser.parse_args()
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="aula-profile-"))
    try:
        with instance_files_kept():
            print("Building the databases (1,000 and 10,000 learners)...", file=sys.stderr)
            databases, tutor_password = build_databases(folder, SIZES)
        email, lesson = pick_learner(databases["1k"])
        rows = [
            Row("Aula's empty route", "learner", EMPTY),
            Row("base layout alone", "learner", LAYOUT),
            Row("catalog (page cache)", "visitor", "/courses"),
            Row("catalog", "learner", "/courses"),
            Row("course page (page cache)", "visitor", "/courses/green-jobs"),
            Row("lesson", "learner", f"/learn/green-jobs/{lesson}"),
            Row("dashboard", "learner", "/dashboard"),
            Row("tutor queue", "tutor", "/tutor/capstones"),
            Row("verification (page cache)", "visitor"),
        ]
        bare = bare_flask_figure(options.requests)
        # Passes over both databases in turn, so that a slow spell of the machine does not
        # fall on one size only; each page keeps its fastest pass.
        for run in range(RUNS):
            for label in SIZES:
                learner_email, _ = pick_learner(databases[label])
                rows[-1].paths[label] = verification_path(databases[label], learner_email)
                credentials = {
                    "learner": (learner_email, "aula-demo-learner"),
                    "tutor": (TUTOR_EMAIL, tutor_password),
                }
                profile_database(databases[label], rows, label, credentials, options.requests,
                                 profiled=run == 0)  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    out = tables(rows, bare)
    notes = [
        f"CPU: process time per request in process (Flask's test client, {options.requests} "
        f"requests after 10 to warm up; the fastest of {RUNS} passes over both databases "
        "taken in turn), SQLite, this machine "
        f"({os.cpu_count()} CPUs). × empty: against Aula's own empty route signed in.",
        "SQL: time between the driver's cursor events per request. 1k / 10k: 1,000 and 10,000 "
        "generated learners (`flask demo generate`).",
        "Where CPU goes: cProfile self time by library, on the 1k database.",
    ]
    report(out, notes, started)


if __name__ == "__main__":
    main()
