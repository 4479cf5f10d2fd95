"""A tour's scenes recorded at the same moment (one learner's tabs, retries) on a running
gunicorn server: every scene lands once, and the visit, the course's only required item,
is done and the course completed exactly once."""

from collections import Counter

from sqlalchemy import func, select

from app.catalog.models import Item
from app.extensions import db
from app.learning.models import ItemProgress
from app.seasons.models import Enrollment
from app.visits.models import TourSceneView
from tests.learning.helpers import build_course, enroll_directly
from tests.seasons.live_server import (  # noqa: F401 - fixtures
    Browser,
    Reply,
    burst,
    live_server_fixture,
    most_in_flight,
    server_log_fixture,
)

SCENES = [f"scene-{n:02d}" for n in range(12)]


def test_every_scene_posted_at_once_is_counted_and_the_visit_done_once(
    live_server, server_log, make_user
):
    course = build_course("tour-load", modules=1, items_per_module=1, required=False)
    module = course.modules[0]
    module.items.append(
        Item(
            course_id=course.id,
            slug="visit",
            kind="study_visit",
            position=10,
            title={"es": "Visita"},
            content={
                "host": "Centro",
                "description": {"es": "Una visita."},
                "key_points": [],
                "stills": [],
                "tour": {
                    "kind": "hosted",
                    "size": 1000,
                    "scenes": [
                        {
                            "id": scene,
                            "title": {"es": scene},
                            "description": {},
                            "panorama": {"sha256": "0" * 64, "filename": "p.jpg", "size": 1},
                            "hotspots": [],
                        }
                        for scene in SCENES
                    ],
                },
            },
        )
    )
    learner = make_user(locale="en")
    enrollment = enroll_directly(learner, course)
    db.session.commit()
    browser = Browser(live_server).sign_in(learner)
    url = "/learn/tour-load/visit/tour"
    token = browser.csrf("/learn/tour-load/visit")
    requests = [browser.prepare("POST", url, {"scene": s, "csrf_token": token}) for s in SCENES * 2]
    db.session.commit()  # the test holds no transaction while the server works

    replies = burst(requests)

    print(f"{len(replies)} requests, at most {most_in_flight(replies)} in flight at once")
    assert all(isinstance(r, Reply) for r in replies), [
        r for r in replies if not isinstance(r, Reply)
    ]
    assert Counter(r.status for r in replies) == {303: len(SCENES) * 2}
    assert live_server.trouble_since(server_log) == []
    db.session.rollback()
    db.session.expire_all()
    seen = db.session.scalars(
        select(TourSceneView.scene).where(TourSceneView.enrollment_id == enrollment.id)
    ).all()
    assert sorted(seen) == SCENES
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ItemProgress)
            .where(ItemProgress.enrollment_id == enrollment.id)
        )
        == 1
    )
    assert db.session.get(Enrollment, enrollment.id).completed_at is not None
