"""Parts of a page kept per the values they show (app/core/kept_html.py), through the tutor's
queue, whose rows and state links are kept: each reader still sees the current values, in
their own language, time zone and address."""

from datetime import UTC, datetime

from app.capstones.models import Submission
from app.core import kept_html
from app.extensions import db
from tests.capstones.helpers import capstone_cohort
from tests.capstones.test_queue import QUEUE, bulk_submissions, rows_of
from tests.conftest import login
from tests.learning.helpers import main_of


def queue_main(client, path=QUEUE, **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200
    return main_of(response.get_data(as_text=True))


def test_a_changed_value_shows_on_the_next_request(app, client):
    cohort = capstone_cohort()
    first, second = bulk_submissions(cohort, 2)
    login(client, cohort.tutors[0])
    assert "Bulk Learner 0000" in queue_main(client)

    first.enrollment.user.full_name = "Renamed Learner"
    second.submitted_at = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
    db.session.commit()

    main = queue_main(client)
    assert "Renamed Learner" in main and "Bulk Learner 0000" not in main
    assert "Mar 4, 2026" in main
    assert "To review (2)" in main
    # A project decided elsewhere leaves the list and its count.
    db.session.delete(db.session.get(Submission, first.id))
    db.session.commit()
    main = queue_main(client)
    assert "Renamed Learner" not in main and "To review (1)" in main


def test_each_reader_gets_their_language_and_time_zone(app, client):
    cohort = capstone_cohort()
    (submission,) = bulk_submissions(cohort, 1)
    submission.submitted_at = datetime(2026, 3, 4, 1, 30, tzinfo=UTC)
    db.session.commit()
    tutor = cohort.tutors[0]
    tutor.timezone = "UTC"
    db.session.commit()
    login(client, tutor)
    english = queue_main(client)
    assert "On time" in english or "Late" in english
    assert "Mar 4, 2026, 1:30:00" in english and "To review (1)" in english

    tutor.locale = "es"
    db.session.commit()
    spanish = queue_main(client)
    assert "Por revisar (1)" in spanish
    assert ("En plazo" in spanish or "Fuera de plazo" in spanish) and "On time" not in spanish
    assert "4 mar 2026, 1:30:00" in spanish

    tutor.timezone = "America/Montevideo"  # UTC-3: the evening before
    db.session.commit()
    assert "3 mar 2026, 22:30:00" in queue_main(client)


def test_links_carry_the_address_the_site_is_served_under(app, client):
    cohort = capstone_cohort()
    (submission,) = bulk_submissions(cohort, 1)
    login(client, cohort.tutors[0])
    assert f'href="/tutor/capstones/{submission.id}"' in queue_main(client)

    main = queue_main(client, QUEUE, environ_overrides={"SCRIPT_NAME": "/aula"})
    assert f'href="/aula/tutor/capstones/{submission.id}"' in main
    assert 'href="/aula/tutor/capstones?status=revise"' in main
    assert f'href="/tutor/capstones/{submission.id}"' not in main


def test_the_store_is_bounded_and_the_page_whole(app, client, monkeypatch):
    monkeypatch.setattr(kept_html, "_PARTS", 3)
    cohort = capstone_cohort()
    submissions = bulk_submissions(cohort, 6)
    login(client, cohort.tutors[0])
    for _ in range(2):
        response = client.get(QUEUE)
        assert sorted(rows_of(response)) == sorted(s.id for s in submissions)
        assert len(app.extensions["kept_html"][0]) == 3
