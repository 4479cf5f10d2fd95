"""What the discussions area keeps about a person (app/core/privacy.py): what they wrote on
boards and in questions to their tutors, the files they attached, the posts they reported,
the networks they joined, and what they did as moderators."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from app.core.privacy import explain_table, register_personal_data
from app.discussions.models import (
    Attachment,
    ModerationEntry,
    NetworkInvitation,
    NetworkMember,
    Post,
    PostState,
    Report,
    Thread,
    ThreadKind,
)
from app.extensions import db

explain_table("discussion_board", "a cohort's, course's or network's board: nobody's own words")


def _writing(user) -> dict:
    threads = db.session.scalars(
        select(Thread).where(Thread.author_id == user.id).order_by(Thread.id)
    ).all()
    posts = db.session.scalars(
        select(Post).where(Post.author_id == user.id).order_by(Post.id)
    ).all()
    files = db.session.execute(
        select(Attachment.post_id, Attachment.filename, Attachment.size)
        .join(Post, Post.id == Attachment.post_id)
        .where(Post.author_id == user.id)
        .order_by(Attachment.id)
    )
    return {
        "threads": [
            {"id": t.id, "kind": t.kind, "title": t.title, "created_at": t.created_at}
            for t in threads
        ],
        "posts": [
            {"thread": p.thread_id, "text": p.body, "state": p.state, "created_at": p.created_at}
            for p in posts
        ],
        "files": [{"post": post, "name": name, "size": size} for post, name, size in files],
    }


def _erase_writing(user) -> None:
    # Their private questions to their tutors go whole; on shared boards their words and files
    # go and the posts stay as removed, so the others' replies still make sense.
    private = select(Thread.id).where(
        Thread.author_id == user.id, Thread.kind == ThreadKind.PRIVATE
    )
    db.session.execute(
        delete(Thread).where(Thread.id.in_(private)).execution_options(synchronize_session=False)
    )
    theirs = select(Post.id).where(Post.author_id == user.id)
    db.session.execute(
        delete(Attachment)
        .where(Attachment.post_id.in_(theirs))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Post)
        .where(Post.author_id == user.id)
        .values(author_id=None, body="", body_html="", state=PostState.REMOVED)
        .execution_options(synchronize_session=False)
    )
    for column in (Thread.author_id, Thread.last_author_id):
        db.session.execute(
            update(Thread)
            .where(column == user.id)
            .values({column.key: None})
            .execution_options(synchronize_session=False)
        )


register_personal_data(
    "discussions",
    tables=("discussion_thread", "discussion_post", "discussion_attachment"),
    export=_writing,
    erase=_erase_writing,
    erase_order=15,
    kept=_l(
        "On discussion boards your posts are emptied and marked as removed, so the replies "
        "others wrote still make sense; your questions to your tutors are deleted."
    ),
)


def _reports_and_moderation(user) -> dict:
    reports = db.session.execute(
        select(Report.post_id, Report.reason, Report.created_at)
        .where(Report.reporter_id == user.id)
        .order_by(Report.id)
    )
    acts = db.session.execute(
        select(ModerationEntry.thread_id, ModerationEntry.action, ModerationEntry.reason,
               ModerationEntry.created_at)
        .where(ModerationEntry.actor_id == user.id)
        .order_by(ModerationEntry.id)
    )  # fmt: skip
    return {
        "reports": [{"post": p, "reason": r, "at": at} for p, r, at in reports],
        "moderation": [{"thread": t, "action": a, "reason": r, "at": at} for t, a, r, at in acts],
    }


def _erase_reports_and_moderation(user) -> None:
    db.session.execute(
        delete(Report)
        .where(Report.reporter_id == user.id)
        .execution_options(synchronize_session=False)
    )
    # What they did as moderators stays in the boards' audit trail, without their name.
    db.session.execute(
        update(ModerationEntry)
        .where(ModerationEntry.actor_id == user.id)
        .values(actor_id=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "discussion_reports_and_moderation",
    tables=("discussion_report", "discussion_moderation"),
    export=_reports_and_moderation,
    erase=_erase_reports_and_moderation,
    erase_order=14,
)


def _networks(user) -> dict:
    members = db.session.execute(
        select(NetworkMember.network_id, NetworkMember.moderator, NetworkMember.joined_at).where(
            NetworkMember.user_id == user.id
        )
    )
    invited = db.session.execute(
        select(NetworkInvitation.network_id, NetworkInvitation.invited_at).where(
            NetworkInvitation.user_id == user.id
        )
    )
    return {
        "member_of": [{"network": n, "moderator": m, "joined_at": at} for n, m, at in members],
        "invited_to": [{"network": n, "invited_at": at} for n, at in invited],
    }


def _erase_networks(user) -> None:
    for model in (NetworkMember, NetworkInvitation):
        db.session.execute(
            delete(model)
            .where(model.user_id == user.id)
            .execution_options(synchronize_session=False)
        )


register_personal_data(
    "networks",
    tables=("discussion_network_member", "discussion_network_invitation"),
    export=_networks,
    erase=_erase_networks,
    erase_order=14,
)
