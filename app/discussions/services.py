"""Discussions: who may read and write where, starting threads, replying, answers, files.

Every write checks its rules first and raises a `DiscussionError` (a Refusal: whatever the
request wrote is rolled back, so a refused post leaves no thread, post or file behind)."""

import hashlib
import re
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.capstones.uploads import FILE_TYPES, CheckedFile, UploadRefused, check_upload
from app.catalog.content import markdown
from app.core.db import insert_or_ignore, utcnow
from app.core.i18n import localise, text_html
from app.core.pagination import Page
from app.core.refusals import Refusal
from app.discussions import events
from app.discussions.models import (
    Attachment,
    Board,
    Network,
    NetworkMember,
    Post,
    PostState,
    Thread,
    ThreadKind,
)
from app.extensions import db
from app.seasons import enrollments
from app.seasons.models import Cohort, Enrollment, Offering

TITLE_MAX = 150
POST_MAX = 20_000
FILES_MAX = 3
THREADS_PER_PAGE = 30
POSTS_PER_PAGE = 50
# Pictures and PDFs only: what people share in a conversation, shown or offered as files.
ATTACHMENT_TYPES = {**FILE_TYPES["pdf"], **FILE_TYPES["images"]}
# Posts keep text markup; pictures come as checked attachments, never from elsewhere.
POST_TAGS = markdown.ALLOWED_TAGS - {"img", "h2"}
POST_LINK_REL = "nofollow ugc noopener noreferrer"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

__all__ = ["UploadRefused"]


class DiscussionError(Refusal):
    """A rule of the discussions refused the action; the message is for the person."""


class InvalidPost(DiscussionError):
    pass


class ThreadClosed(DiscussionError):
    pass


class NotAllowed(DiscussionError):
    status = 403


# Places and who may do what --------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a board belongs: a cohort, or a self-paced course's offering in a season."""

    cohort: Cohort | None = None
    offering: Offering | None = None
    network: Network | None = None

    @classmethod
    def of(cls, board: Board) -> "Place":
        return cls(cohort=board.cohort, offering=board.offering, network=board.network)

    @property
    def course(self):
        if self.network is not None:
            return None
        return (self.cohort.offering if self.cohort else self.offering).course

    @property
    def season(self):
        if self.network is not None:
            return None
        return (self.cohort.offering if self.cohort else self.offering).season

    @property
    def has_tutors(self) -> bool:
        return self.cohort is not None

    def members_filter(self):
        """Enrolments whose learners belong to this board."""
        if self.cohort is not None:
            return Enrollment.cohort_id == self.cohort.id
        return and_(
            Enrollment.season_id == self.offering.season_id,
            Enrollment.course_id == self.offering.course_id,
            Enrollment.cohort_id.is_(None),
        )

    def board_filter(self):
        if self.network is not None:
            return Board.network_id == self.network.id
        if self.cohort is not None:
            return Board.cohort_id == self.cohort.id
        return Board.offering_id == self.offering.id


def _network_member(user, network: Network) -> NetworkMember | None:
    return db.session.get(NetworkMember, (network.id, user.id))


def can_moderate(user, place: Place) -> bool:
    """A cohort's tutors (on its board), a network's moderators (on its board) and
    administrators (everywhere)."""
    if not user.is_authenticated:
        return False
    if user.is_admin or (place.cohort is not None and place.cohort.is_tutor(user)):
        return True
    if place.network is not None:
        member = _network_member(user, place.network)
        return member is not None and member.moderator
    return False


def can_read_board(user, place: Place) -> bool:
    """Members read; a network that is not members-only is read by anyone signed in."""
    if place.network is not None and user.is_authenticated and not place.network.members_only:
        return True
    return is_member(user, place)


def is_member(user, place: Place) -> bool:
    """Whether the user writes on the board: its learners, tutors, administrators; a
    network's members."""
    if not user.is_authenticated:
        return False
    if can_moderate(user, place):
        return True
    if place.network is not None:
        return _network_member(user, place.network) is not None
    return bool(
        db.session.scalar(
            select(exists().where(Enrollment.user_id == user.id, place.members_filter()))
        )
    )


def can_read_thread(user, thread: Thread, place: Place, moderator: bool) -> bool:
    """Members read public threads; a private question is its asker's and the tutors';
    what a moderator hid or removed only moderators see."""
    if thread.state != PostState.VISIBLE and not moderator:
        return False
    if thread.is_private:
        return moderator or (user.is_authenticated and thread.author_id == user.id)
    return True


def can_mark_answer(user, thread: Thread, moderator: bool) -> bool:
    return thread.kind == ThreadKind.QUESTION and (moderator or thread.author_id == user.id)


# Reads -----------------------------------------------------------------------------------


def find_board(place: Place) -> Board | None:
    return db.session.scalar(select(Board).where(place.board_filter()))


def board_threads(board: Board | None, user, moderator: bool, page_number: int) -> Page:
    """A page of the board's threads (pinned first, then latest activity), in 2 queries.

    Private questions are listed on their own page (`private_questions`), never here."""
    page = Page(max(1, page_number), THREADS_PER_PAGE, 0)
    if board is None:
        return page
    where = [Thread.board_id == board.id, Thread.kind != ThreadKind.PRIVATE]
    if not moderator:
        where.append(Thread.state == PostState.VISIBLE)
    page.total = db.session.scalar(select(func.count(Thread.id)).where(*where))
    page.page = min(page.page, page.pages)
    page.items = db.session.scalars(
        select(Thread)
        .where(*where)
        .options(joinedload(Thread.author), joinedload(Thread.last_author))
        .order_by(Thread.pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc())
        .limit(THREADS_PER_PAGE)
        .offset((page.page - 1) * THREADS_PER_PAGE)
    ).all()
    return page


def private_questions(board: Board | None, user, moderator: bool) -> list[Thread]:
    """The private questions the user may read: their own, or all of them for tutors;
    those waiting for a tutor first."""
    if board is None:
        return []
    where = [Thread.board_id == board.id, Thread.kind == ThreadKind.PRIVATE]
    if not moderator:
        where.append(Thread.author_id == user.id)
        where.append(Thread.state == PostState.VISIBLE)
    return db.session.scalars(
        select(Thread)
        .where(*where)
        .options(joinedload(Thread.author), joinedload(Thread.last_author))
        .order_by((Thread.last_author_id == Thread.author_id).desc(), Thread.last_post_at.desc())
    ).all()


def load_thread(thread_id: int) -> Thread | None:
    """The thread with its board and the board's cohort or offering, course, season, tutors."""
    from app.seasons.queries import COHORT_CONTEXT, OFFERING_CONTEXT

    cohort_path = joinedload(Thread.board).joinedload(Board.cohort)
    offering_path = joinedload(Thread.board).joinedload(Board.offering)
    options = [joinedload(Thread.author), joinedload(Thread.board).joinedload(Board.network)]
    for option in COHORT_CONTEXT:
        options.append(cohort_path.options(option))
    for option in OFFERING_CONTEXT:
        options.append(offering_path.options(option))
    return db.session.scalar(select(Thread).where(Thread.id == thread_id).options(*options))


def thread_posts(thread: Thread, page_number: int) -> Page:
    """A page of the thread's posts (oldest first) with authors and attachments: 2 queries
    whatever the thread's length (the count is kept on the thread)."""
    page = Page(max(1, page_number), POSTS_PER_PAGE, thread.reply_count + 1)
    page.page = min(page.page, page.pages)
    page.items = db.session.scalars(
        select(Post)
        .where(Post.thread_id == thread.id)
        .options(joinedload(Post.author), selectinload(Post.attachments))
        .order_by(Post.id)
        .limit(POSTS_PER_PAGE)
        .offset((page.page - 1) * POSTS_PER_PAGE)
    ).all()
    return page


def page_of_post(thread: Thread, post: Post) -> int:
    """The page of the thread where the post is shown."""
    before = db.session.scalar(
        select(func.count(Post.id)).where(Post.thread_id == thread.id, Post.id < post.id)
    )
    return before // POSTS_PER_PAGE + 1


def load_post(post_id: int) -> Post | None:
    return db.session.get(Post, post_id)


def attachment_by_token(token: str) -> Attachment | None:
    return db.session.scalar(select(Attachment).where(Attachment.token == token))


def board_members(place: Place, but=None) -> list[User]:
    """The board's learners and tutors (not `but`), for announcements."""
    if place.network is not None:
        learners = select(NetworkMember.user_id).where(NetworkMember.network_id == place.network.id)
    else:
        learners = select(Enrollment.user_id).where(place.members_filter())
    people = db.session.scalars(select(User).where(User.id.in_(learners))).all()
    if place.cohort is not None:
        people = [*people, *place.cohort.tutors]
    seen, found = set(), []
    for person in people:
        if person.id not in seen and (but is None or person.id != but.id):
            seen.add(person.id)
            found.append(person)
    return found


def boards_of(user) -> list[tuple]:
    """Every board the user belongs to as a learner, for the dashboard (which has read their
    places already: no query of its own), as the values of its kept link
    (discussions/_dashboard_parts.html): the course's title as HTML, then the cohort's id and
    name for a cohort's board, or the offering's id and the season's name for a self-paced
    course's."""
    return [
        (
            text_html(localise(place.course.title, place.course.language)),
            place.cohort_id,
            place.cohort.name if place.cohort else None,
            None if place.cohort_id else offering_id,
            place.season.display_name,
        )
        for place, offering_id in enrollments.places_of(user)
        if offering_id is not None
    ]


# Writes ----------------------------------------------------------------------------------


def render_post(body: str) -> str:
    """The post's Markdown as safe HTML: rendered, then sanitised as course content is."""
    return markdown.render(body, tags=POST_TAGS, link_rel=POST_LINK_REL)


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not body:
        raise InvalidPost(_l("Write a message."))
    if len(body) > POST_MAX:
        raise InvalidPost(_l("A message has at most %(max)s characters.", max=POST_MAX))
    return body


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidPost(_l("Write a title."))
    if len(title) > TITLE_MAX or _CONTROL.search(title):
        raise InvalidPost(
            _l("A title fits on one line of at most %(max)s characters.", max=TITLE_MAX)
        )
    return title


def check_attachments(uploads: list[tuple[str, bytes]]) -> list[CheckedFile]:
    """Every file checked as capstone files are (content, not name), pictures and PDFs only."""
    if len(uploads) > FILES_MAX:
        raise UploadRefused(_l("Attach at most %(num)s files to a message.", num=FILES_MAX))
    limit = current_app.config.get("DISCUSSION_MAX_FILE_BYTES", 5 * 1024 * 1024)
    return [
        check_upload(name, data, allowed=ATTACHMENT_TYPES, limit=limit) for name, data in uploads
    ]


def _ensure_board(place: Place) -> Board:
    if place.network is not None:
        values = {"network_id": place.network.id}
    elif place.cohort is not None:
        values = {"cohort_id": place.cohort.id}
    else:
        values = {"offering_id": place.offering.id}
    insert_or_ignore(Board, created_at=utcnow(), **values)
    return find_board(place)


def _add_post(thread: Thread, author: User, body: str, files: list[CheckedFile]) -> Post:
    post = Post(thread_id=thread.id, author_id=author.id, body=body, body_html=render_post(body))
    db.session.add(post)
    db.session.flush()
    for checked in files:
        post.attachments.append(
            Attachment(
                token=secrets.token_urlsafe(32),
                filename=checked.filename,
                content_type=checked.content_type,
                size=len(checked.data),
                sha256=hashlib.sha256(checked.data).hexdigest(),
                data=checked.data,
            )
        )
    db.session.flush()
    return post


def start_thread(
    place: Place,
    author: User,
    kind: ThreadKind,
    title: str,
    body: str,
    uploads: list[tuple[str, bytes]] = (),
) -> Thread:
    """A new thread on the place's board with its opening post (and the board, the first
    time). Announcements are the moderators'; private questions need a cohort's tutors."""
    moderator = can_moderate(author, place)
    if not is_member(author, place):
        raise NotAllowed(_l("Only the people of this course can write here."))
    if kind == ThreadKind.ANNOUNCEMENT and not moderator:
        raise NotAllowed(_l("Only tutors and administrators post announcements."))
    if kind == ThreadKind.PRIVATE and not place.has_tutors:
        raise NotAllowed(_l("This course has no tutor to ask: ask on the board instead."))
    title, body = _clean_title(title), _clean_body(body)
    files = check_attachments(list(uploads))
    board = _ensure_board(place)
    now = utcnow()
    thread = Thread(
        board_id=board.id,
        author_id=author.id,
        kind=kind,
        title=title,
        pinned=kind == ThreadKind.ANNOUNCEMENT,
        created_at=now,
        last_post_at=now,
        last_author_id=author.id,
    )
    db.session.add(thread)
    db.session.flush()
    _add_post(thread, author, body, files)
    events.thread_started(thread, place, author)
    return thread


def reply(thread: Thread, place: Place, author: User, body: str, uploads=()) -> Post:
    """A reply at the end of the thread; refused on a locked, hidden or removed thread
    (moderators may still write in a locked one)."""
    moderator = can_moderate(author, place)
    if not is_member(author, place) or not can_read_thread(author, thread, place, moderator):
        raise NotAllowed(_l("You cannot write in this conversation."))
    if thread.state != PostState.VISIBLE:
        raise ThreadClosed(_l("This conversation was closed by a moderator."))
    if thread.locked and not moderator:
        raise ThreadClosed(_l("This conversation is locked: no more replies."))
    body = _clean_body(body)
    files = check_attachments(list(uploads))
    post = _add_post(thread, author, body, files)
    db.session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(
            reply_count=Thread.reply_count + 1,
            last_post_at=post.created_at or utcnow(),
            last_author_id=author.id,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(thread)
    events.replied(thread, place, post, author)
    return post


def mark_answer(post: Post, place: Place, user: User) -> None:
    """Mark the reply that answers a question (the asker or a tutor); marking another
    moves the mark; marking the same one again changes nothing."""
    thread = post.thread
    moderator = can_moderate(user, place)
    if not can_mark_answer(user, thread, moderator):
        raise NotAllowed(_l("Only the person who asked, or a tutor, marks the answer."))
    if post.state != PostState.VISIBLE or thread.state != PostState.VISIBLE:
        raise InvalidPost(_l("A hidden or removed message cannot be the answer."))
    first = db.session.scalar(select(func.min(Post.id)).where(Post.thread_id == thread.id))
    if post.id == first:
        raise InvalidPost(_l("The question itself cannot be its answer."))
    if post.is_answer:
        return
    db.session.execute(
        update(Post)
        .where(Post.thread_id == thread.id, Post.is_answer)
        .values(is_answer=False)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    try:
        with db.session.begin_nested():
            post.is_answer = True
            thread.answered_at = utcnow()
            db.session.flush()
    except IntegrityError:
        # Another answer was marked at the same moment: one answer per thread, always.
        raise InvalidPost(_l("Someone marked another answer at the same moment.")) from None
    events.answered(thread, place, post, user)


def unanswered_private_questions(cohorts: list[Cohort]) -> dict[int, int]:
    """{cohort id: private questions whose last word is the learner's}, in one query."""
    if not cohorts:
        return {}
    rows = db.session.execute(
        select(Board.cohort_id, func.count(Thread.id))
        .join(Thread, Thread.board_id == Board.id)
        .where(
            Board.cohort_id.in_([c.id for c in cohorts]),
            Thread.kind == ThreadKind.PRIVATE,
            Thread.state == PostState.VISIBLE,
            Thread.last_author_id == Thread.author_id,
        )
        .group_by(Board.cohort_id)
    ).all()
    return dict(rows)
