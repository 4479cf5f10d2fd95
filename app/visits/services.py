"""Study visits: the embed allow-list, what a visit page shows, and tour progress.

A visit counts as done through the learning area's `mark_done` once its learner has seen
every scene of a hosted tour, opened an embedded tour and confirmed it, or read its text
version and said so (the path that needs neither JavaScript nor WebGL).
"""

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.catalog.models import Course, Item
from app.core.db import insert_or_ignore, utcnow
from app.extensions import db
from app.learning import services as learning
from app.seasons import enrollments
from app.seasons.models import Enrollment
from app.visits.embeds import DEFAULT_EMBED_HOSTS
from app.visits.item_kinds import STUDY_VISIT
from app.visits.models import EmbedHostList, TourSceneView

LIST_ID = 1
VIEWER = Path(__file__).resolve().parents[1] / "static"
VIEWER_FILES = ("vendor/pannellum/pannellum.js", "vendor/pannellum/pannellum.css")


@cache
def viewer_bytes() -> int:
    """What the 360° viewer adds to a hosted tour's download (its script and stylesheet)."""
    return sum((VIEWER / name).stat().st_size for name in VIEWER_FILES)


class VisitError(learning.LearningError):
    """A tour step that cannot be recorded; the message is for the learner."""


def allowed_hosts() -> tuple[str, ...]:
    """The hosts tours may be framed from: the administrators' list, else the defaults."""
    saved = db.session.get(EmbedHostList, LIST_ID)
    return tuple(saved.hosts) if saved is not None else DEFAULT_EMBED_HOSTS


def save_allowed_hosts(hosts: list[str], by: User | None) -> None:
    """Replace the allow-list (hosts already checked by the form: exact, lower-case)."""
    unique = sorted(set(hosts))
    saved = db.session.get(EmbedHostList, LIST_ID)
    if saved is None:
        saved = EmbedHostList(id=LIST_ID)
        db.session.add(saved)
    saved.hosts = unique
    saved.updated_at = utcnow()
    saved.updated_by_id = by.id if by is not None else None
    db.session.flush()


def embedded_visits() -> list[tuple[Course, Item]]:
    """Every study visit whose tour is embedded from elsewhere, with its course."""
    rows = db.session.execute(
        select(Course, Item)
        .join(Item, Item.course_id == Course.id)
        .where(Item.kind == STUDY_VISIT)
        .order_by(Course.position, Course.id, Item.position)
    ).all()
    return [(c, i) for c, i in rows if (i.content.get("tour") or {}).get("kind") == "embed"]


@dataclass
class VisitPage:
    """What the study-visit page needs beyond the item itself."""

    tour: dict | None
    seen: set[str] = field(default_factory=set)
    embed_allowed: bool = False

    @property
    def kind(self) -> str | None:
        return self.tour["kind"] if self.tour else None

    @property
    def takeable(self) -> bool:
        """Whether there is a tour the learner can open here (an embed must still be allowed)."""
        return self.kind == "hosted" or (self.kind == "embed" and self.embed_allowed)

    @property
    def size(self) -> int:
        """Bytes the tour loads: panoramas and viewer (hosted), the declared estimate (embed)."""
        if self.kind == "hosted":
            return self.tour["size"] + viewer_bytes()
        return self.tour["size"] if self.tour else 0

    @property
    def frame_host(self) -> str | None:
        return self.tour["host"] if self.kind == "embed" and self.embed_allowed else None


def visit_page(enrollment: Enrollment, item: Item) -> VisitPage:
    """The visit's tour, the scenes this learner has seen, and whether its embed may load."""
    tour = item.content.get("tour")
    page = VisitPage(tour=tour)
    if page.kind == "hosted":
        page.seen = scenes_seen(enrollment, item)
    elif page.kind == "embed":
        page.embed_allowed = tour["host"] in allowed_hosts()
    return page


def scenes_seen(enrollment: Enrollment, item: Item) -> set[str]:
    return set(
        db.session.scalars(
            select(TourSceneView.scene).where(
                TourSceneView.enrollment_id == enrollment.id, TourSceneView.item_id == item.id
            )
        )
    )


def _tour_of(item: Item, kind: str) -> dict:
    tour = item.content.get("tour") if item.kind == STUDY_VISIT else None
    if not tour or tour["kind"] != kind:
        raise VisitError(_l("This page has no tour of that kind."))
    return tour


def record_scene_seen(enrollment: Enrollment, item: Item, scene: str) -> tuple[set[str], bool]:
    """Note that the learner has seen a scene of a hosted tour; the visit is done once every
    scene is. Returns (scenes seen, whether the visit is done)."""
    if item.course_id != enrollment.course_id:
        raise ValueError("item of another course")
    tour = _tour_of(item, "hosted")
    scene_ids = {s["id"] for s in tour["scenes"]}
    if scene not in scene_ids:
        raise VisitError(_l("This tour has no such scene. Reload the page and try again."))
    learning.check_writable(enrollment)
    # Lock the enrolment first (PostgreSQL; SQLite serialises writers anyway): two requests
    # for the last two scenes then count one after the other, so the later one sees both
    # rows and the visit is never left undone.
    enrollments.lock_enrollment(enrollment.id)
    # One row per scene, whatever arrives twice or at once.
    insert_or_ignore(
        TourSceneView, enrollment_id=enrollment.id, item_id=item.id, scene=scene, seen_at=utcnow()
    )
    seen = scenes_seen(enrollment, item) & scene_ids
    done = seen == scene_ids
    if done:
        learning.mark_done(enrollment, item)
    return seen, done


def confirm_embedded_tour(enrollment: Enrollment, item: Item) -> None:
    """The learner opened an embedded tour and says they have taken it: the visit is done."""
    if item.course_id != enrollment.course_id:
        raise ValueError("item of another course")
    tour = _tour_of(item, "embed")
    if tour["host"] not in allowed_hosts():
        raise VisitError(_l("This tour can no longer be shown here; read the visit's text."))
    learning.mark_done(enrollment, item)


def confirm_read(enrollment: Enrollment, item: Item) -> None:
    """The learner read the visit's text version (its description, key points, pictures and
    what the tour shows): the visit is done, tour or not, so no device is left without a way
    to complete it (no JavaScript, no WebGL, a tour that does not load)."""
    if item.course_id != enrollment.course_id:
        raise ValueError("item of another course")
    if item.kind != STUDY_VISIT:
        raise VisitError(_l("Only a study visit is read this way."))
    learning.mark_done(enrollment, item)
