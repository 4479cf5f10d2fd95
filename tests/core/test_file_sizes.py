"""One format for file sizes everywhere: `filesize` (app/core/formats.py), also the Jinja
filter every page that shows a size uses."""

import re

import pytest
from flask import render_template_string
from flask_babel import force_locale

from app.core.formats import filesize
from tests.capstones.helpers import capstone_cohort, enrolled_learner, pdf_bytes, start
from tests.conftest import login
from tests.learning.helpers import main_of

CASES = [
    (0, "0 bytes", "0 bytes"),
    (1, "1 byte", "1 byte"),
    (1023, "1.023 bytes", "1,023 bytes"),
    (22426, "21,9 KB", "21.9 KB"),
    (23040, "22,5 KB", "22.5 KB"),
    (24576, "24 KB", "24 KB"),  # no ",0"
    (230400, "225 KB", "225 KB"),  # no decimal from 100 up
    (1048575, "1 MB", "1 MB"),  # rounded up to the next unit, never "1.024 KB"
    (1258291, "1,2 MB", "1.2 MB"),
    (2 * 1024 * 1024, "2 MB", "2 MB"),
    (3 * 1024**3, "3 GB", "3 GB"),
    (5 * 1024**4, "5.120 GB", "5,120 GB"),  # the largest unit
]


@pytest.mark.parametrize(("size", "spanish", "english"), CASES)
def test_a_size_reads_in_the_readers_language(app, size, spanish, english):
    with app.test_request_context():
        # Portuguese counts 0 as singular ("0 byte"), as CLDR says; numbers as in Spanish.
        portuguese = "0 byte" if size == 0 else spanish
        for locale, expected in (("es", spanish), ("pt", portuguese), ("en", english)):
            with force_locale(locale):
                assert filesize(size) == expected, locale
                assert render_template_string("{{ n|filesize }}", n=size) == expected


@pytest.mark.parametrize("bad", [None, -5, 12.7])
def test_odd_sizes_do_not_break_a_page(app, bad):
    with app.test_request_context(), force_locale("en"):
        assert filesize(bad) in {"0 bytes", "12 bytes"}


def test_the_tutors_page_shows_a_capstone_file_in_the_readers_language(app, client):
    cohort = capstone_cohort()
    cohort.tutors[0].locale = "es"
    learner = enrolled_learner(cohort)
    submission = start(learner)
    from app.capstones import services
    from app.extensions import db

    body = pdf_bytes()
    services.submit(submission, "Plan", [("plan.pdf", body + b"\n" * (23040 - len(body)))])
    db.session.commit()
    login(client, cohort.tutors[0])
    main = main_of(client.get(f"/tutor/capstones/{submission.id}").get_data(as_text=True))
    assert "(22,5 KB)" in main
    assert not re.search(r"\d kB", main)


def test_no_template_formats_a_size_by_itself():
    """Every page shows sizes through the filter: no template divides by 1024 or uses
    Jinja's own filesizeformat (which writes "22.5 kB" in every language)."""
    from app import PROJECT_ROOT

    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "app").rglob("*.html")
        if re.search(r"filesizeformat|/ ?1024", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
