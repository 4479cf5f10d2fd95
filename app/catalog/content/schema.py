"""The course package format's frame, declared once: course, modules and what every item has.

Each kind of item adds its own fields in the area that owns it (app/catalog/kinds.py); the
models that validate a whole course are built from the registered kinds (`course_model`).
course_content/README.md documents the format.
"""

from functools import cache
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from app.catalog import kinds

Language = Literal["es", "pt", "en"]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
# Text in one language (the course's main one) or in several: {es: ..., pt: ..., en: ...}
LocalText = str | dict[Language, str]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ItemBase(Strict):
    """What every item has; a kind's model adds `kind: Literal[name]` and its own fields."""

    slug: Slug
    title: LocalText
    required: bool = True


class ModuleBase(Strict):
    slug: Slug
    title: LocalText


class CourseBase(Strict):
    slug: Slug
    kind: Literal["tutor_led", "self_paced"]
    language: Language  # the main language: what any missing translation falls back to
    languages: list[Language] = Field(min_length=1)
    title: LocalText
    summary: LocalText
    hours: int = Field(gt=0, le=1000)
    outcomes: list[LocalText] = Field(min_length=1)
    completion: Literal["all_required"] = "all_required"

    @field_validator("languages")
    @classmethod
    def no_repeats(cls, value):
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value

    @model_validator(mode="after")
    def main_language_is_offered(self):
        if self.language not in self.languages:
            raise ValueError("`language` must be one of `languages`")
        return self


def course_model() -> type[CourseBase]:
    """The model of a whole course.yaml, with items of every registered kind."""
    return _course_model(tuple(kind.schema for kind in kinds.all_kinds()))


@cache
def _course_model(item_models: tuple[type[ItemBase], ...]) -> type[CourseBase]:
    if len(item_models) == 1:
        item_type = item_models[0]
    else:
        item_type = Annotated[Union[item_models], Field(discriminator="kind")]  # noqa: UP007
    module = create_model(
        "Module", __base__=ModuleBase, items=(list[item_type], Field(min_length=1))
    )
    return create_model("Course", __base__=CourseBase, modules=(list[module], Field(min_length=1)))
