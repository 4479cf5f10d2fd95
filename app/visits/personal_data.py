"""What the visits area keeps about a person (app/core/privacy.py): the scenes of hosted
tours they have looked at, and (administrators) who last saved the embed allow-list."""

from sqlalchemy import delete, select, update

from app.catalog.models import Item
from app.core.privacy import register_personal_data
from app.extensions import db
from app.seasons.models import Enrollment
from app.visits.models import EmbedHostList, TourSceneView


def _their_enrollments(user):
    return select(Enrollment.id).where(Enrollment.user_id == user.id)


def _scenes(user) -> list[dict]:
    rows = db.session.execute(
        select(TourSceneView.enrollment_id, Item.slug, TourSceneView.scene, TourSceneView.seen_at)
        .join(Item, Item.id == TourSceneView.item_id)
        .where(TourSceneView.enrollment_id.in_(_their_enrollments(user)))
        .order_by(TourSceneView.id)
    )
    return [
        {"enrollment_id": e, "visit": slug, "scene": scene, "seen_at": at}
        for e, slug, scene, at in rows
    ]


def _erase_scenes(user) -> None:
    db.session.execute(
        delete(TourSceneView)
        .where(TourSceneView.enrollment_id.in_(_their_enrollments(user)))
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "tour_scenes_seen",
    tables=("tour_scene_view",),
    export=_scenes,
    erase=_erase_scenes,
    erase_order=20,
)


def _embed_list(user) -> list[dict]:
    rows = db.session.execute(
        select(EmbedHostList.updated_at).where(EmbedHostList.updated_by_id == user.id)
    )
    return [{"saved_at": at} for (at,) in rows]


def _erase_embed_list(user) -> None:
    db.session.execute(
        update(EmbedHostList)
        .where(EmbedHostList.updated_by_id == user.id)
        .values(updated_by_id=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "embed_allow_list_saved",
    tables=("embed_host_list",),
    export=_embed_list,
    erase=_erase_embed_list,
    erase_order=20,
)
