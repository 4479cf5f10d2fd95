"""The course package format, declared once. course_content/README.md documents it."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Language = Literal["es", "pt", "en"]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
# Text in one language (the course's main one) or in several: {es: ..., pt: ..., en: ...}
LocalText = str | dict[Language, str]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Choice(Strict):
    text: LocalText
    correct: bool = False


class Question(Strict):
    kind: Literal["single", "multiple", "true_false", "numeric"]
    prompt: LocalText
    choices: list[Choice] = []
    answer: bool | float | None = None
    tolerance: float = Field(0, ge=0)
    feedback: LocalText | None = None

    @model_validator(mode="after")
    def has_a_correct_answer(self):
        correct = sum(choice.correct for choice in self.choices)
        if self.kind in ("single", "multiple"):
            if len(self.choices) < 2:
                raise ValueError("a choice question needs at least two choices")
            if correct == 0:
                raise ValueError("a quiz question with no correct answer")
            if self.kind == "single" and correct > 1:
                raise ValueError("a single-choice question has more than one correct answer")
        elif self.kind == "true_false":
            if not isinstance(self.answer, bool):
                raise ValueError("a true/false question needs `answer: true` or `answer: false`")
        elif isinstance(self.answer, bool) or self.answer is None:
            raise ValueError("a numeric question needs a number as `answer`")
        return self


class ItemBase(Strict):
    slug: Slug
    title: LocalText
    required: bool = True


class Lesson(ItemBase):
    kind: Literal["lesson"]
    body: LocalText  # Markdown file(s), relative to the course folder


class Quiz(ItemBase):
    kind: Literal["quiz"]
    pass_mark: int = Field(70, ge=0, le=100)  # percent
    max_attempts: int = Field(3, ge=0)  # 0: no limit
    questions: list[Question] = Field(min_length=1)


class Resource(ItemBase):
    kind: Literal["resource"]
    file: str
    description: LocalText | None = None


class Guide(ItemBase):
    kind: Literal["guide"]
    source: LocalText  # Markdown file(s), rendered to PDF at import
    description: LocalText | None = None


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


Item = Annotated[
    Lesson | Quiz | Resource | Guide | StudyVisit | Capstone, Field(discriminator="kind")
]


class Module(Strict):
    slug: Slug
    title: LocalText
    items: list[Item] = Field(min_length=1)


class Course(Strict):
    slug: Slug
    kind: Literal["tutor_led", "self_paced"]
    language: Language  # the main language: what any missing translation falls back to
    languages: list[Language] = Field(min_length=1)
    title: LocalText
    summary: LocalText
    hours: int = Field(gt=0, le=1000)
    outcomes: list[LocalText] = Field(min_length=1)
    completion: Literal["all_required"] = "all_required"
    modules: list[Module] = Field(min_length=1)

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
