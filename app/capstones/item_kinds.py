"""Capstone projects, the capstones area's kind of course item: a brief and a rubric; done
when a tutor's review passes the learner's project (app/capstones/services.py)."""

from dataclasses import dataclass
from typing import Literal

from flask_babel import lazy_gettext as _l
from pydantic import Field, model_validator

from app.catalog import kinds
from app.catalog.content.schema import ItemBase, LocalText, Strict
from app.catalog.kinds import ItemKind, OfflinePart

CAPSTONE = "capstone"


class RubricLevel(Strict):
    points: int = Field(ge=0)
    title: LocalText | None = None
    description: LocalText


class RubricCriterion(Strict):
    title: LocalText
    description: LocalText | None = None
    levels: list[RubricLevel] = Field(min_length=2)


class Rubric(Strict):
    pass_threshold: int = Field(ge=0)
    criteria: list[RubricCriterion] = Field(min_length=1)

    @model_validator(mode="after")
    def threshold_is_reachable(self):
        best = sum(max(level.points for level in c.levels) for c in self.criteria)
        if self.pass_threshold > best:
            raise ValueError(f"pass_threshold {self.pass_threshold} is above the maximum {best}")
        return self


class Capstone(ItemBase):
    kind: Literal["capstone"]
    brief: LocalText  # Markdown file(s)
    rubric: Rubric
    max_attempts: int = Field(3, ge=1)


def _check(context, spec: Capstone) -> None:
    context.markdown(spec, "brief")
    # Only a tutor's review completes a capstone, and only cohorts have tutors: required in a
    # self-paced course, it would leave every learner without a way to finish.
    if spec.required and context.course.spec.kind == "self_paced":
        context.problem(
            ("required",),
            "a required capstone in a self-paced course can never be completed (only a "
            "cohort's tutor reviews it): make it `required: false`, or the course tutor-led",
        )


def stored_rubric(rubric: Rubric, localised) -> dict:
    """The rubric as the item keeps it: every text as {language: text}."""
    return {
        "pass_threshold": rubric.pass_threshold,
        "criteria": [
            {
                "title": localised(c.title),
                "description": localised(c.description),
                "levels": [
                    {
                        "points": level.points,
                        "title": localised(level.title),
                        "description": localised(level.description),
                    }
                    for level in c.levels
                ],
            }
            for c in rubric.criteria
        ],
    }


def _content(context, spec: Capstone) -> dict:
    """The brief and the attempts; the rubric is the capstones area's own row (`_imported`)."""
    return {"brief_html": context.markdown_html(spec.brief), "max_attempts": spec.max_attempts}


def _imported(context, item, spec: Capstone) -> None:
    from app.capstones.services import save_rubric

    save_rubric(item, stored_rubric(spec.rubric, context.localised))


@dataclass
class CapstonePart:
    """What the capstone partial shows: the rubric, and the learner's project (None without a
    cohort place: self-paced learners read the brief and the rubric only)."""

    rubric: dict
    project: object


def capstone_part(enrollment, item, project=None) -> CapstonePart:
    from app.capstones.services import rubric
    from app.capstones.views import project_page  # the page reads the learning area's rows

    return CapstonePart(rubric(item), project or project_page(enrollment, item))


def _offline(item) -> OfflinePart:
    from app.capstones.services import rubric

    return OfflinePart(content={"brief_html": item.content["brief_html"], "rubric": rubric(item)})


def _projects(item_ids: list[int]) -> dict[int, list[str]]:
    """Learners' projects on these items, which removing the items would delete."""
    from app.capstones.services import projects_by_item

    return {i: [f"{n} capstone project(s)"] for i, n in projects_by_item(item_ids).items()}


kinds.register_item_data(_projects)
kinds.register(
    ItemKind(
        name=CAPSTONE,
        label=_l("capstone project"),
        schema=Capstone,
        check=_check,
        build_content=_content,
        template="capstones/_capstone.html",
        done_when="a tutor's review of the learner's project passes it against the rubric",
        page=capstone_part,
        imported=_imported,
        learner_marks_done=lambda item, project: False,
        offline=_offline,
    )
)
