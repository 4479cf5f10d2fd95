"""Notifying people: the in-app record, a mail at once or a daily digest, as each chose.

`notify()` is what other areas call, at the place where the news happens, inside the same
transaction: a refused or rolled-back action notifies nobody. Mails carry a one-click
unsubscribe (RFC 8058) whose signed token works signed out.
"""

from collections import defaultdict
from datetime import time

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, func, select, update

from app.accounts.models import User
from app.accounts.services import external_url
from app.core import jobs, schedule
from app.core.db import utcnow
from app.core.i18n import localise
from app.core.mail import send_template_mail
from app.core.pagination import Page
from app.core.refusals import Refusal
from app.extensions import db
from app.notifications.kinds import Delivery, NotificationKind, all_kinds, kind_named
from app.notifications.models import MailState, Notification, NotificationPreference

PER_PAGE = 30
ALL_KINDS = "*"
_SALT = "notifications-unsubscribe"


class PreferenceRefused(Refusal):
    """A delivery the kind does not offer, or a kind that does not exist."""


# Sending ---------------------------------------------------------------------------------


def notify(user: User, kind_name: str, link: str, **values) -> Notification:
    """Tell `user` of something: always in the platform; by mail now, or in tomorrow's
    digest, if that is how they hear of this kind. `link` is a path on this site; `values`
    are small JSON values the kind's line is made of."""
    kind = kind_named(kind_name)
    if kind is None:
        raise ValueError(f"unknown notification kind {kind_name!r}")
    base = current_app.config["BASE_URL"]
    if link.startswith(base + "/"):
        link = link[len(base) :]  # an absolute link of this site, as mails carry: its path
    delivery = delivery_for(user, kind)
    notification = Notification(
        user_id=user.id,
        kind=kind.name,
        values=values,
        link=link,
        created_at=utcnow(),
        mail_state={
            Delivery.PLATFORM: MailState.NONE,
            Delivery.MAIL: MailState.SENT,
            Delivery.DIGEST: MailState.DIGEST,
        }[delivery],
    )
    db.session.add(notification)
    if delivery == Delivery.MAIL:
        with force_locale(user.locale):
            line = kind.describe(values)
        send_template_mail(
            user.email,
            user.locale,
            "notifications/mail/notification",
            line,
            headers=unsubscribe_headers(user, kind.name),
            person=user,
            line=line,
            url=current_app.config["BASE_URL"] + link,
            **_unsubscribe_links(user, kind.name),
        )
    return notification


def delivery_for(user: User, kind: NotificationKind) -> Delivery:
    chosen = db.session.get(NotificationPreference, (user.id, kind.name))
    if chosen is not None and chosen.delivery in kind.choices():
        return Delivery(chosen.delivery)
    return kind.default


def send_digests() -> int:
    """One mail per person with the news that waits for their digest; how many mails.

    News of a kind the person has since moved to "platform only" (or unsubscribed from) is
    dropped from the digest. Each person's batch is claimed with one guarded UPDATE and the
    mail written in the same transaction, so a second run (or two at once) sends nothing
    twice."""
    waiting = db.session.execute(
        select(Notification.id, Notification.user_id)
        .where(Notification.mail_state == MailState.DIGEST)
        .order_by(Notification.user_id, Notification.id)
    ).all()
    by_user: dict[int, list[int]] = defaultdict(list)
    for notification_id, user_id in waiting:
        by_user[user_id].append(notification_id)
    sent = 0
    for user_id, ids in by_user.items():
        claimed = db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.mail_state == MailState.DIGEST)
            .values(mail_state=MailState.DIGESTED)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != len(ids):
            db.session.rollback()  # another run has them
            continue
        user = db.session.get(User, user_id)
        items = db.session.scalars(
            select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)
        ).all()
        lines = []
        with force_locale(user.locale):
            for item in items:
                kind = kind_named(item.kind)
                if kind is None or delivery_for(user, kind) != Delivery.DIGEST:
                    continue
                lines.append(
                    (kind.describe(item.values), current_app.config["BASE_URL"] + item.link)
                )
        if lines:
            send_template_mail(
                user.email,
                user.locale,
                "notifications/mail/digest",
                _l("Your news of the day on Aula"),
                headers=unsubscribe_headers(user, ALL_KINDS),
                person=user,
                lines=lines,
                **_unsubscribe_links(user, ALL_KINDS),
            )
            sent += 1
        db.session.commit()
    return sent


@jobs.task("notifications.digest")
def digest_task() -> None:
    """Scheduled once a day: everyone's digest."""
    send_digests()


schedule.daily_at("notifications.digest", "notifications.digest", time(6, 0))


# Unsubscribing ---------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_token(user: User, kind_name: str) -> str:
    """A signed token that stops mail of one kind (or of all: ALL_KINDS) for this person."""
    return _serializer().dumps([user.id, kind_name])


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    """(the person, the kind or ALL_KINDS), or None for a token we did not sign."""
    try:
        user_id, kind_name = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or (kind_name != ALL_KINDS and kind_named(kind_name) is None):
        return None
    return user, kind_name


def unsubscribe_headers(user: User, kind_name: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: the mail client POSTs to the URL, signed out."""
    url = external_url("notifications.unsubscribe", token=unsubscribe_token(user, kind_name))
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _unsubscribe_links(user: User, kind_name: str) -> dict[str, str]:
    return {
        "unsubscribe_url": external_url(
            "notifications.unsubscribe", token=unsubscribe_token(user, kind_name)
        ),
        "settings_url": external_url("notifications.settings"),
    }


def unsubscribe(user: User, kind_name: str) -> None:
    """No more mail of that kind (or of any kind): in the platform only from now on."""
    kinds = all_kinds() if kind_name == ALL_KINDS else [kind_named(kind_name)]
    set_preferences(user, {kind.name: Delivery.PLATFORM for kind in kinds if kind is not None})


# Preferences -----------------------------------------------------------------------------


def preferences(user: User) -> dict[str, Delivery]:
    """{kind name: how the person hears of it}, for every kind (defaults filled in)."""
    chosen = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    found = {}
    for kind in all_kinds():
        value = chosen.get(kind.name)
        found[kind.name] = Delivery(value) if value in kind.choices() else kind.default
    return found


def set_preferences(user: User, choices: dict[str, str]) -> None:
    """Keep each kind's chosen delivery (all checked before any is written)."""
    checked = {}
    for name, value in choices.items():
        kind = kind_named(name)
        if kind is None or value not in kind.choices():
            raise PreferenceRefused(_l("Choose one of the ways offered for each kind of news."))
        checked[name] = Delivery(value)
    now = utcnow()
    for name, delivery in checked.items():
        row = db.session.get(NotificationPreference, (user.id, name))
        if row is None:
            db.session.add(
                NotificationPreference(
                    user_id=user.id, kind=name, delivery=delivery, updated_at=now
                )
            )
        elif row.delivery != delivery:
            row.delivery, row.updated_at = delivery, now
    db.session.flush()


# Reading ---------------------------------------------------------------------------------


# Built once: the header runs it on every signed-in page. Executed on the session's connection
# (same transaction), as a Core statement: no ORM machinery for one number.
_UNREAD = select(func.count(Notification.id)).where(
    Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None)
)


def unread_count(user) -> int:
    """The header's figure: one indexed count, none for visitors."""
    if not user.is_authenticated:
        return 0
    return db.session.connection().execute(_UNREAD, {"user_id": user.id}).scalar_one()


def page_of(user: User, page_number: int) -> Page:
    """A page of the person's notifications, newest first, in 2 queries."""
    page = Page(max(1, page_number), PER_PAGE, 0)
    page.total = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id)
    )
    page.page = min(page.page, page.pages)
    page.items = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc())
        .limit(PER_PAGE)
        .offset((page.page - 1) * PER_PAGE)
    ).all()
    return page


def course_title(values: dict) -> str:
    """A course title stored with a notification ({language: title}) in the reader's words."""
    titles = values.get("course") or {}
    return str(localise(titles, next(iter(titles), "es"))) if titles else ""


def describe(notification: Notification) -> str:
    kind = kind_named(notification.kind)
    return kind.describe(notification.values) if kind else ""


def own_notification(user: User, notification_id: int) -> Notification | None:
    """The notification if it is the person's (another's is not found)."""
    found = db.session.get(Notification, notification_id)
    return found if found is not None and found.user_id == user.id else None


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    """Clear the person's unread notifications; how many."""
    return db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
