"""Reminders before the capstone deadline: `services.remind_due` and `flask capstones remind`.

Learners of a cohort whose deadline falls within the next N days and who have sent nothing
get one mail, however often the daily job runs; nobody else does.
"""

from babel.dates import format_date

from app.capstones import services
from app.extensions import db
from app.seasons.models import SeasonState
from tests.capstones.helpers import ITEM_URL, capstone_cohort, enrolled_learner, start
from tests.conftest import outbox
from tests.seasons.factories import days, make_season

SUBJECT = "Your capstone project is due soon"


def remind(today=None, days_ahead=3) -> int:
    sent = services.remind_due(today or days(0), days_ahead)
    db.session.commit()
    return sent


def reminders(person) -> list:
    return [m for m in outbox(person.email) if m.subject == SUBJECT]


def due_in(n, **kwargs):
    cohort = capstone_cohort(**kwargs)
    cohort.capstone_due_on = days(n)
    db.session.commit()
    return cohort


def test_a_learner_who_sent_nothing_gets_one_reminder_with_the_date_and_link(app):
    cohort = due_in(2)
    learner = enrolled_learner(cohort, full_name="Rosa Recordada")

    assert remind() == 1

    [mail] = reminders(learner)
    assert "Rosa Recordada" in mail.body
    assert "Mainstreaming occupational safety and health in vocational training" in mail.body
    assert str(days(2).year) in mail.body and str(days(2).day) in mail.body
    assert f"{ITEM_URL}" in mail.body


def test_running_again_sends_nothing_more(app):
    cohort = due_in(1)
    learners = [enrolled_learner(cohort) for _ in range(3)]

    assert remind() == 3
    assert remind() == 0
    assert remind(days(1)) == 0  # the next day's run, deadline still ahead

    assert [len(reminders(person)) for person in learners] == [1, 1, 1]


def test_a_saved_draft_is_not_a_submission(app):
    cohort = due_in(2)
    learner = enrolled_learner(cohort)
    services.save_draft(start(learner), "Half of my plan")
    db.session.commit()

    assert remind() == 1
    assert len(reminders(learner)) == 1


def test_learners_who_submitted_get_none(app):
    cohort = due_in(2)
    sent_it = enrolled_learner(cohort)
    services.submit(start(sent_it), "My whole plan")
    db.session.commit()
    waiting = enrolled_learner(cohort)

    assert remind() == 1

    assert reminders(sent_it) == []
    assert len(reminders(waiting)) == 1


def test_the_window_counts_today_through_n_days_ahead(app):
    cohorts = {n: due_in(n) for n in (-1, 0, 3, 4)}
    people = {n: enrolled_learner(cohort) for n, cohort in cohorts.items()}
    no_deadline = enrolled_learner(capstone_cohort())

    assert remind(days_ahead=3) == 2

    got = {n: len(reminders(person)) for n, person in people.items()}
    assert got == {-1: 0, 0: 1, 3: 1, 4: 0}
    assert reminders(no_deadline) == []
    # A deadline further away is reminded later, when it comes within reach.
    assert remind(days(1), days_ahead=3) == 1
    assert len(reminders(people[4])) == 1


def test_a_learner_with_an_extension_is_reminded_before_the_extended_deadline(app):
    cohort = due_in(2)
    learner = enrolled_learner(cohort)
    services.grant_extension(start(learner), days(20))
    db.session.commit()

    assert remind() == 0
    assert reminders(learner) == []
    assert remind(days(18)) == 1
    (mail,) = reminders(learner)
    assert format_date(days(20), "long", locale=learner.locale) in mail.body


def test_a_closed_season_gets_none(app):
    season = make_season("Closed season")
    db.session.commit()
    cohort = due_in(2, season=season)
    learner = enrolled_learner(cohort)
    season.state = SeasonState.CLOSED
    db.session.commit()

    assert remind() == 0
    assert reminders(learner) == []


def test_a_new_deadline_gets_its_own_reminder(app):
    cohort = due_in(1)
    learner = enrolled_learner(cohort)
    assert remind() == 1
    cohort.capstone_due_on = days(3)  # the deadline moved: learners are told again
    db.session.commit()

    assert remind() == 1
    assert len(reminders(learner)) == 2


# The command ------------------------------------------------------------------------------


def run(app, *args):
    return app.test_cli_runner().invoke(args=["capstones", "remind", *[str(a) for a in args]])


def test_the_command_sends_and_says_how_many(app):
    cohort = due_in(5)
    learner = enrolled_learner(cohort)

    result = run(app, "--days", 2)
    assert result.exit_code == 0, result.output
    assert "Sent 0 reminder(s)" in result.output

    result = run(app, "--days", 2, "--today", days(3).isoformat())
    assert result.exit_code == 0, result.output
    assert "Sent 1 reminder(s)" in result.output
    assert len(reminders(learner)) == 1

    result = run(app, "--days", 2, "--today", days(3).isoformat())
    assert "Sent 0 reminder(s)" in result.output


def test_the_command_defaults_to_today_and_three_days(app):
    cohort = due_in(3)
    enrolled_learner(cohort)
    result = run(app)
    assert result.exit_code == 0, result.output
    assert "Sent 1 reminder(s)" in result.output


def test_the_command_refuses_bad_options(app):
    assert run(app, "--today", "tomorrow").exit_code == 2
    assert run(app, "--days", "-1").exit_code == 2
    assert run(app, "--days", "many").exit_code == 2
