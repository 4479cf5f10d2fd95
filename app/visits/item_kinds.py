"""Study visits, the visits area's kind of course item: text, key points and stills, and a
360° tour (hosted panoramas or an allow-listed embed) loaded only on request.

A visit with a tour the learner can take is done when the tour is taken, or when the learner
says they have read its text version (app/visits/services.py); one without (no tour, or an
embed whose host is no longer allowed) is marked done by the learner.
"""

from typing import Annotated, Literal

from flask_babel import lazy_gettext as _l
from pydantic import Field, model_validator

from app.catalog import kinds
from app.catalog.content.schema import ItemBase, LocalText, Slug, Strict
from app.catalog.kinds import ItemKind, OfflinePart
from app.core.files import read_picture
from app.core.security import content_security_policy
from app.visits.embeds import DEFAULT_EMBED_HOSTS, embed_host, embed_url_problem

STUDY_VISIT = "study_visit"
PANORAMA_FORMATS = {"JPEG", "PNG", "WEBP"}
# Phones' graphics chips commonly refuse textures wider than 4096 pixels.
MAX_PANORAMA_WIDTH = 4096


class Still(Strict):
    file: str
    alt: LocalText


class Hotspot(Strict):
    """A point in a panorama: an information text, or a link to another scene."""

    kind: Literal["info", "scene"]
    pitch: float = Field(ge=-90, le=90)  # degrees up (+) or down (-) from the horizon
    yaw: float = Field(ge=-180, le=180)  # degrees right (+) or left (-) of the centre
    text: LocalText
    scene: Slug | None = None  # the scene a `scene` hotspot leads to

    @model_validator(mode="after")
    def scene_link_names_its_scene(self):
        if self.kind == "scene" and not self.scene:
            raise ValueError("a `scene` hotspot needs `scene`: the id of the scene it leads to")
        if self.kind == "info" and self.scene:
            raise ValueError("an `info` hotspot has no `scene` (use kind: scene for a link)")
        return self


class Scene(Strict):
    id: Slug
    title: LocalText
    panorama: str  # an equirectangular picture (2:1), relative to the course folder
    description: LocalText | None = None
    hotspots: list[Hotspot] = Field([], max_length=40)


class HostedTour(Strict):
    """Panoramas the platform serves and shows in its own 360° viewer; starts at scenes[0]."""

    kind: Literal["hosted"]
    scenes: list[Scene] = Field(min_length=1, max_length=30)


class EmbeddedTour(Strict):
    """A tour on an allow-listed host, framed in a sandboxed iframe."""

    kind: Literal["embed"]
    url: str
    size_mb: float = Field(gt=0, le=5000)  # what loading the tour costs, as far as one knows


Tour = Annotated[HostedTour | EmbeddedTour, Field(discriminator="kind")]


class StudyVisit(ItemBase):
    """A virtual study visit: text, key points and stills, and a tour loaded on request."""

    kind: Literal["study_visit"]
    host: str = Field(max_length=200)  # the host institution
    description: LocalText
    key_points: list[LocalText] = []
    stills: list[Still] = []
    tour: Tour | None = None


# Checking a package ----------------------------------------------------------------------


def _check(context, spec: StudyVisit) -> None:
    for s, still in enumerate(spec.stills):
        context.picture(still.file, "stills", s, "file")
    tour = spec.tour
    if tour is None:
        return
    if tour.kind == "embed":
        hosts = context.settings.get("embed_hosts", DEFAULT_EMBED_HOSTS)
        problem = embed_url_problem(tour.url, frozenset(hosts))
        if problem:
            context.problem(("tour", "url"), problem)
        return
    ids = set()
    for s, scene in enumerate(tour.scenes):
        if scene.id in ids:
            context.problem(("tour", "scenes", s, "id"), f"duplicate scene id {scene.id!r}")
        ids.add(scene.id)
    for s, scene in enumerate(tour.scenes):
        for h, hotspot in enumerate(scene.hotspots):
            if hotspot.kind == "scene" and hotspot.scene not in ids:
                context.problem(
                    ("tour", "scenes", s, "hotspots", h, "scene"),
                    f"hotspot leads to scene {hotspot.scene!r}: no scene with that id",
                )
        found = context.need(scene.panorama, "tour", "scenes", s, "panorama")
        if found is not None:
            problem = panorama_problem(found, context.course.files[found])
            if problem:
                context.problem(("tour", "scenes", s, "panorama"), problem)


def panorama_problem(path: str, data: bytes) -> str | None:
    """Why the bytes are not an equirectangular panorama a phone can show, or None."""
    picture, why = read_picture(data)
    if picture is None and why == "not a picture":
        return f"panorama {path} is not a picture (JPEG, PNG or WebP)"
    if picture is None and why.startswith("a "):
        return f"panorama {path} is {why}; use JPEG, PNG or WebP"
    if picture is None:
        return (
            f"panorama {path} is too large ({why}); phones show at most "
            f"{MAX_PANORAMA_WIDTH} pixels wide"
        )
    width, height = picture.width, picture.height
    if picture.kind not in PANORAMA_FORMATS:
        return f"panorama {path} is a {picture.kind} picture; use JPEG, PNG or WebP"
    if abs(width - 2 * height) > 2:
        return (
            f"panorama {path} is {width}x{height}: an equirectangular panorama is twice as "
            "wide as it is high"
        )
    if width > MAX_PANORAMA_WIDTH:
        return f"panorama {path} is {width} pixels wide; phones show at most {MAX_PANORAMA_WIDTH}"
    return None


# Importing -------------------------------------------------------------------------------


def _tour_content(context, tour) -> dict:
    """A tour as the player needs it: panoramas stored, texts by language, its data size."""
    if tour.kind == "embed":
        return {
            "kind": "embed",
            "url": tour.url,
            "host": embed_host(tour.url),
            "size": round(tour.size_mb * 1024 * 1024),
        }
    local = context.localised
    scenes = [
        {
            "id": scene.id,
            "title": local(scene.title),
            "description": local(scene.description),
            "panorama": context.store(scene.panorama),
            "hotspots": [
                {
                    "kind": h.kind,
                    "pitch": h.pitch,
                    "yaw": h.yaw,
                    "text": local(h.text),
                    "scene": h.scene,
                }
                for h in scene.hotspots
            ],
        }
        for scene in tour.scenes
    ]
    return {"kind": "hosted", "scenes": scenes, "size": sum(s["panorama"]["size"] for s in scenes)}


def _content(context, spec: StudyVisit) -> dict:
    local = context.localised
    return {
        "host": spec.host,
        "description": local(spec.description),
        "key_points": [local(p) for p in spec.key_points],
        "stills": [{"file": context.store(s.file), "alt": local(s.alt)} for s in spec.stills],
        "tour": _tour_content(context, spec.tour) if spec.tour else None,
    }


def _check_settings() -> dict:
    from app.visits.services import allowed_hosts  # the administrators' allow-list

    return {"embed_hosts": allowed_hosts()}


# In the player ---------------------------------------------------------------------------


def _page(enrollment, item):
    from app.visits.services import visit_page  # services read the learning area's rows

    return visit_page(enrollment, item)


def _headers(visit) -> dict[str, str]:
    if not visit.takeable:
        return {}
    # Only this page may frame, and only the visit's own allow-listed host; the hosted
    # tour's viewer shows its panoramas from blob: URLs.
    policy = content_security_policy(
        [visit.frame_host] if visit.frame_host else (), blob_images=visit.kind == "hosted"
    )
    return {"Content-Security-Policy": policy}


def _offline(item) -> OfflinePart:
    """The visit's text and stills (the tour itself stays online)."""
    content = {key: item.content[key] for key in ("host", "description", "key_points", "stills")}
    return OfflinePart(content=content, files=[s["file"] for s in item.content["stills"]])


kinds.register(
    ItemKind(
        name=STUDY_VISIT,
        label=_l("study visit"),
        schema=StudyVisit,
        check=_check,
        build_content=_content,
        template="visits/_visit.html",
        head_template="visits/_head.html",
        done_when="the learner has seen every scene of a hosted tour, opened an embedded tour "
        "and confirmed it, or read the visit's text version and said so (a plain form: no "
        "JavaScript or WebGL needed); without a tour to take, the learner marks it done",
        page=_page,
        learner_marks_done=lambda item, visit: not visit.takeable,
        headers=_headers,
        offline=_offline,
        check_settings=_check_settings,
    )
)
