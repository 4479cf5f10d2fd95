"""Thematic networks: administrators create them and name moderators; anyone registered
joins or leaves; the board works as a cohort's does."""

import re
from datetime import date, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, select

from app.accounts.models import User
from app.core import jobs, schedule
from app.core.db import insert_or_ignore, utcnow
from app.discussions.models import Network, NetworkInvitation, NetworkMember
from app.discussions.services import DiscussionError
from app.extensions import db
from app.seasons.models import Cohort, Enrollment, Offering

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_MAX = 120


class NetworkRefused(DiscussionError):
    pass


def all_networks() -> list[tuple[Network, int]]:
    """Every network with its number of members, by name (one query)."""
    members = (
        select(func.count(NetworkMember.user_id))
        .where(NetworkMember.network_id == Network.id)
        .correlate(Network)
        .scalar_subquery()
    )
    return db.session.execute(select(Network, members).order_by(Network.name)).all()


def memberships_of(user) -> dict[int, NetworkMember]:
    if not user.is_authenticated:
        return {}
    rows = db.session.scalars(select(NetworkMember).where(NetworkMember.user_id == user.id))
    return {row.network_id: row for row in rows}


def network_by_slug(slug: str) -> Network | None:
    return db.session.scalar(select(Network).where(Network.slug == slug))


def create_network(
    slug: str, name: str, description: str = "", members_only=False, course_id=None
) -> Network:
    """A new network; its slug (its address) is lower-case words joined by hyphens."""
    slug, name = (slug or "").strip().lower(), (name or "").strip()
    if not SLUG.match(slug) or len(slug) > 60:
        raise NetworkRefused(_l("The address uses lower-case letters, digits and hyphens."))
    if not name or len(name) > NAME_MAX:
        raise NetworkRefused(_l("A name has at most %(max)s characters.", max=NAME_MAX))
    if network_by_slug(slug) is not None:
        raise NetworkRefused(_l("Another network has that address."))
    network = Network(
        slug=slug, name=name, description=(description or "").strip()[:2000],
        members_only=bool(members_only), course_id=course_id or None,
    )  # fmt: skip
    db.session.add(network)
    db.session.flush()
    return network


def join(network: Network, user) -> bool:
    """Join (a second time changes nothing); True if the user was not a member."""
    return insert_or_ignore(
        NetworkMember, network_id=network.id, user_id=user.id, moderator=False, joined_at=utcnow()
    )


def leave(network: Network, user) -> None:
    """Leave the network (its moderators stay moderators until an administrator says)."""
    db.session.execute(
        delete(NetworkMember).where(
            NetworkMember.network_id == network.id,
            NetworkMember.user_id == user.id,
            NetworkMember.moderator.is_(False),
        )
    )


def name_moderator(network: Network, email: str, moderator: bool = True) -> User:
    """Make the person with that email a moderator of the network (a member too), or not."""
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        raise NetworkRefused(_l("Nobody has an account with that email."))
    member = db.session.get(NetworkMember, (network.id, user.id))
    if member is None:
        member = NetworkMember(network_id=network.id, user_id=user.id, joined_at=utcnow())
        db.session.add(member)
    member.moderator = moderator
    db.session.flush()
    return user


def moderators_of(network: Network) -> list[User]:
    return db.session.scalars(
        select(User)
        .join(NetworkMember, NetworkMember.user_id == User.id)
        .where(NetworkMember.network_id == network.id, NetworkMember.moderator)
        .order_by(User.full_name)
    ).all()


# How long after a cohort ends its learners are still invited (a schedule that was down
# for a while catches up; older cohorts are left alone).
INVITE_WITHIN_DAYS = 30


def invite_alumni(today: date | None = None) -> int:
    """Invite the learners of every cohort that has ended (within INVITE_WITHIN_DAYS) to
    the networks of its course's theme, once per person and network; how many invitations.

    Members are not invited; each invitation is a notification (in the platform, and by
    mail or digest as the person chose)."""
    from app.discussions.notification_kinds import NETWORK_INVITATION
    from app.notifications.services import notify

    today = today or date.today()
    rows = db.session.execute(
        select(Network, User)
        .join(Offering, Offering.course_id == Network.course_id)
        .join(Cohort, Cohort.offering_id == Offering.id)
        .join(Enrollment, Enrollment.cohort_id == Cohort.id)
        .join(User, User.id == Enrollment.user_id)
        .where(
            Cohort.ends_on < today,
            Cohort.ends_on >= today - timedelta(days=INVITE_WITHIN_DAYS),
            ~exists().where(
                NetworkMember.network_id == Network.id, NetworkMember.user_id == User.id
            ),
            ~exists().where(
                NetworkInvitation.network_id == Network.id, NetworkInvitation.user_id == User.id
            ),
        )
        .order_by(Network.id, User.id)
    ).all()
    invited = 0
    for network, user in rows:
        if insert_or_ignore(
            NetworkInvitation, network_id=network.id, user_id=user.id, invited_at=utcnow()
        ):
            link = f"/networks/{network.slug}/board"
            notify(user, NETWORK_INVITATION, link, network=network.name)
            invited += 1
    db.session.flush()
    return invited


@jobs.task("networks.invite_alumni")
def invite_alumni_task() -> None:
    """Scheduled once a day."""
    invite_alumni()


schedule.daily_at("networks.invite_alumni", "networks.invite_alumni", time(8, 0))
