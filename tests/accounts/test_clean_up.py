"""The daily clean-up (app/accounts/clean_up.py): accounts registered and never confirmed go
after UNCONFIRMED_ACCOUNT_DAYS, from the schedule with no crontab or from the command line;
confirmed, invited, staff and recent accounts stay."""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from app.accounts import services
from app.accounts.models import Role, SecurityEvent, User
from app.core import schedule
from app.core.db import utcnow
from app.extensions import db


def registered(make_user, email, *, days_ago, confirmed=False, role=Role.LEARNER):
    user = make_user(email=email, confirmed=confirmed, role=role)
    user.created_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return user.id


def invited(email, *, days_ago):
    user = services.invite_user(email, "Invitada Sin Respuesta", country_code="CO", locale="es",
                                institution_other="Centro")  # fmt: skip
    user.created_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return user.id


def emails():
    return set(db.session.scalars(select(User.email)))


def scene(make_user):
    """One account of each kind; only `gone@` should go."""
    registered(make_user, "gone@example.org", days_ago=31)
    registered(make_user, "recent@example.org", days_ago=29)
    registered(make_user, "confirmed@example.org", days_ago=400, confirmed=True)
    registered(make_user, "tutor@example.org", days_ago=400, role=Role.TUTOR)
    invited("invited@example.org", days_ago=400)


def test_the_schedule_removes_accounts_never_confirmed_and_nothing_else(app, make_user):
    entry = schedule.SCHEDULE["accounts.clean_up"]
    assert (entry.task, entry.interval, entry.at) == ("accounts.clean_up", timedelta(days=1),
                                                      time(3, 0))  # fmt: skip
    scene(make_user)
    gone = db.session.scalar(select(User.id).where(User.email == "gone@example.org"))
    db.session.add(SecurityEvent(kind="signed_in", user_id=gone))
    db.session.commit()
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    schedule.enqueue_due(tomorrow.replace(hour=2, minute=0))  # first looked at before 03:00
    assert "gone@example.org" in emails()
    schedule.enqueue_due(tomorrow.replace(hour=3, minute=30))
    db.session.expire_all()
    assert emails() >= {"recent@example.org", "confirmed@example.org", "tutor@example.org",
                        "invited@example.org"}  # fmt: skip
    assert "gone@example.org" not in emails()
    # Erased as its owner would erase it: what hung on the account went with it.
    assert db.session.scalar(select(SecurityEvent).where(SecurityEvent.user_id == gone)) is None


def test_the_address_of_a_removed_account_can_register_again(app, client, make_user):
    registered(make_user, "again@example.org", days_ago=60)
    result = app.test_cli_runner().invoke(args=["users", "clean-up"])
    assert result.exit_code == 0, result.output
    assert "1 account(s) never confirmed removed" in result.output
    user = make_user(email="again@example.org", confirmed=False)
    assert user.email in emails()


def test_the_command_takes_another_period_and_refuses_nonsense(app, make_user):
    scene(make_user)
    runner = app.test_cli_runner()
    for bad in ("0", "-3", "abc", "", "99999999999999999999"):
        result = runner.invoke(args=["users", "clean-up", "--unconfirmed-days", bad])
        assert result.exit_code == 2 and "Invalid value" in result.output, (bad, result.output)
    assert "gone@example.org" in emails() and "recent@example.org" in emails()
    result = runner.invoke(args=["users", "clean-up", "--unconfirmed-days", "7"])
    assert result.exit_code == 0 and "2 account(s) never confirmed removed" in result.output
    assert not {"gone@example.org", "recent@example.org"} & emails()
    assert {"confirmed@example.org", "tutor@example.org", "invited@example.org"} <= emails()
