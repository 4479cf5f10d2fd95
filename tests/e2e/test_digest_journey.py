"""Journey: a tutor's announcements reach a learner who chose the daily digest once, the next
day, and no one who unsubscribed.

Two learners enrol themselves in a cohort (each confirmed by mail at once). One chooses the
daily digest for announcements; the other follows the signed-out unsubscribe link of the
first announcement's mail. The schedule kept in the code then runs with its clock moved a
day on, as the job workers would run it: one digest, holding the announcements, to the
first learner; nothing to the second; nothing more when it runs again. Each person in a
browser of their own (a phone, in Spanish), on the live server."""

import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

from babel.dates import format_date

from tests.e2e.conftest import ROOT, assert_accessible, assert_fits_phone, expect, snapshot
from tests.e2e.test_capstone_journey import es, flask_command, people, sign_in, visit  # noqa: F401

COURSE_SLUG = "quality-apprenticeship"
COURSE = "Aprendizaje de calidad"
COHORT = "Cohorte AC Resumen E2E"
PASSWORD = "una clave larga para el proyecto 2026"
TUTOR = ("tutora.resumen@example.org", "Rosa Tutora")
DIGEST = ("aprendiz.resumen@example.org", "Diana Resumen")
UNSUBSCRIBED = ("aprendiz.baja@example.org", "Ulises Baja")
FIRST, SECOND = "Bienvenida a la cohorte", "Sesión en vivo el jueves"


def mails(live_server, email: str) -> list[tuple[str, str]]:
    """(subject, body) of every mail to `email`, oldest first: the outbox the server keeps."""
    return live_server.query(
        "SELECT subject, body FROM outbox_message WHERE recipient = ? ORDER BY id", email
    )


def run_schedule(live_server, when: datetime) -> list[str]:
    """The schedule's check (what a job worker does every minute) as if the clock said
    `when`, on the live server's database; the names of the entries it ran."""
    script = (
        "import sys\n"
        "from datetime import datetime\n"
        "from wsgi import app\n"
        "from app.core import schedule\n"
        "with app.app_context():\n"
        "    print(','.join(schedule.enqueue_due(datetime.fromisoformat(sys.argv[1]))))\n"
    )
    env = live_server.env
    done = subprocess.run(
        [sys.executable, "-c", script, when.isoformat()],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return done.stdout.strip().splitlines()[-1].split(",") if done.stdout.strip() else []


def enrol(page, email: str) -> None:
    sign_in(page, email)
    visit(page, f"/courses/{COURSE_SLUG}")
    cohort = page.locator(".cohort").filter(has_text=COHORT)
    cohort.get_by_role("button", name=es("Enrol in this cohort")).click()
    page.wait_for_url(f"**/learn/{COURSE_SLUG}**")
    assert_accessible(page)


def announce(tutor, title: str, body: str) -> None:
    tutor.get_by_role("link", name=es("My cohorts")).click()
    tutor.locator("li").filter(has_text=COHORT).get_by_role("link", name=es("Discussions")).click()
    assert_accessible(tutor)
    tutor.get_by_label(es("Title")).fill(title)
    tutor.get_by_role("radio", name=es("An announcement (pinned, sent to everyone)")).check()
    tutor.get_by_label(es("Message")).fill(body)
    tutor.get_by_role("button", name=es("Post")).click()
    tutor.get_by_text(es("Your message was posted.")).wait_for()
    assert "/discussions/threads/" in tutor.url


def test_an_announcement_reaches_the_digest_once_the_next_day_and_no_one_unsubscribed(
    people,  # noqa: F811
    live_server,
):
    for (email, name), role in (
        (TUTOR, "tutor"), (DIGEST, "learner"), (UNSUBSCRIBED, "learner")
    ):  # fmt: skip
        flask_command(
            live_server, "users", "create", email, "--name", name, "--role", role,
            "--password", PASSWORD,
        )  # fmt: skip
    today = date.today()
    ends = today + timedelta(days=90)
    flask_command(
        live_server, "seasons", "add-cohort", "Season E2E", COURSE_SLUG, "--name", COHORT,
        "--starts", today.isoformat(), "--ends", ends.isoformat(),
        "--enroll-opens", (today - timedelta(days=1)).isoformat(),
        "--enroll-closes", (today + timedelta(days=30)).isoformat(),
        "--seats", "5", "--language", "es", "--tutor", TUTOR[0],
    )  # fmt: skip

    # Both learners enrol themselves, and each is told at once, in Spanish, with the dates.
    digest_reader, unsubscriber = people("digest"), people("unsubscriber")
    enrol(digest_reader, DIGEST[0])
    enrol(unsubscriber, UNSUBSCRIBED[0])
    confirmation = es(
        "You have a place in cohort “%(cohort)s” of %(course)s, from %(start)s to %(end)s",
        cohort=COHORT,
        course=COURSE,
        start=format_date(today, "long", locale="es"),
        end=format_date(ends, "long", locale="es"),
    )
    for email in (DIGEST[0], UNSUBSCRIBED[0]):
        ((subject, body),) = mails(live_server, email)
        assert subject == confirmation
        assert f"/learn/{COURSE_SLUG}" in body

    # One learner chooses the daily digest for announcements.
    digest_reader.get_by_role("link", name=re.compile(es("Notifications"))).click()
    digest_reader.get_by_role("link", name=es("Choose how you hear of each kind of news")).click()
    assert_accessible(digest_reader)
    assert_fits_phone(digest_reader)
    announcements = digest_reader.get_by_role("group", name=es("Announcements of my tutors"))
    announcements.get_by_role("radio", name=es("A daily digest")).check()
    digest_reader.get_by_role("button", name=es("Save")).click()
    digest_reader.get_by_text(es("Your choices were saved.")).wait_for()
    snapshot(digest_reader, "d1-digest-chosen")

    # The tutor announces; the learner who kept the default hears at once, and stops these
    # mails through the link in that mail, signed out, in a browser of its own.
    tutor = people("tutor")
    sign_in(tutor, TUTOR[0])
    announce(tutor, FIRST, "Les damos la **bienvenida**: lean la guía práctica.")
    line_first = es("Announcement from %(who)s: “%(title)s”", who=TUTOR[1], title=FIRST)
    (_, (subject, body)) = mails(live_server, UNSUBSCRIBED[0])
    assert subject == line_first
    stop_link = re.search(r"https?://\S+/unsubscribe/\S+", body).group(0)
    signed_out = people("signed-out")
    signed_out.goto(stop_link)
    assert_accessible(signed_out)
    signed_out.get_by_role("button", name=es("Stop these mails")).click()
    signed_out.get_by_text(
        es("Done: you will get no more of these mails. You still see the news in the platform.")
    ).wait_for()
    assert_accessible(signed_out)
    snapshot(signed_out, "d2-unsubscribed-signed-out")

    announce(tutor, SECOND, "Nos vemos el jueves a las 10:00 (hora de Montevideo).")
    line_second = es("Announcement from %(who)s: “%(title)s”", who=TUTOR[1], title=SECOND)
    # Nothing at once for the digest reader, nothing more for the one who unsubscribed.
    assert len(mails(live_server, DIGEST[0])) == 1
    assert len(mails(live_server, UNSUBSCRIBED[0])) == 2

    # The digest reader sees the news in the platform: the count in the header, the lines.
    visit(digest_reader, "/dashboard")
    assert es("%(num)s unread", num=3) in digest_reader.locator("header").inner_text()
    digest_reader.get_by_role("link", name=re.compile(es("Notifications"))).click()
    assert_accessible(digest_reader)
    expect(digest_reader.locator("main")).to_contain_text(line_first)
    expect(digest_reader.locator("main")).to_contain_text(line_second)
    snapshot(digest_reader, "d3-notifications-in-the-header")

    # The schedule looks today: the digest is not due before the next morning.
    now = datetime.now(UTC)
    assert "notifications.digest" not in run_schedule(live_server, now)
    assert len(mails(live_server, DIGEST[0])) == 1
    # The next day after 06:00 it runs: one digest with both announcements and their links.
    tomorrow = (now + timedelta(days=1)).replace(hour=6, minute=30)
    assert "notifications.digest" in run_schedule(live_server, tomorrow)
    digests = mails(live_server, DIGEST[0])[1:]
    assert [subject for subject, _ in digests] == [es("Your news of the day on Aula")]
    body = digests[0][1]
    assert line_first in body and line_second in body
    assert len(mails(live_server, UNSUBSCRIBED[0])) == 2
    # Later that day it is not due again; the day after it runs and has nothing to send.
    assert "notifications.digest" not in run_schedule(live_server, tomorrow + timedelta(hours=1))
    assert "notifications.digest" in run_schedule(live_server, tomorrow + timedelta(days=1))
    assert len(mails(live_server, DIGEST[0])) == 2
    assert len(mails(live_server, UNSUBSCRIBED[0])) == 2

    # The digest's link opens the second announcement.
    thread_links = re.findall(r"https?://\S+/discussions/threads/\d+", body)
    assert len(thread_links) == 2
    digest_reader.goto(thread_links[1])
    digest_reader.get_by_text("Nos vemos el jueves").wait_for()
    assert_accessible(digest_reader)
    snapshot(digest_reader, "d4-announcement-from-the-digest")
