"""Read a package folder, validate all of it, and report every problem with file and line.

A package is a folder holding one course (with `course.yaml`) or several course folders.
Nothing here touches the database: the importer takes what `load_package` returns.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent

from app.catalog import kinds
from app.catalog.content import markdown, schema
from app.core.files import PICTURE_EXTENSIONS, read_picture

COURSE_FILE = "course.yaml"
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_COURSE_FILE_BYTES = 1024 * 1024  # course.yaml: text, far below this


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {self.message}"
            if self.line
            else f"{self.file}: {self.message}"
        )


@dataclass
class LoadedCourse:
    """A validated course: its declaration, the folder it came from, and its files' bytes."""

    spec: schema.CourseBase
    root: Path
    files: dict[str, bytes] = field(default_factory=dict)  # package path -> content
    slug_line: int = 1

    def text(self, path: str) -> str:
        return self.files[path].decode("utf-8")


def localised(value: schema.LocalText | None, main: str) -> dict[str, str]:
    """Text as {language: text}; a plain string is in the course's main language."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {main: value}
    return dict(value)


def load_package(
    path: Path, settings: Mapping[str, Any] | None = None, **more_settings: Any
) -> tuple[list[LoadedCourse], list[Problem]]:
    """Every course under `path`, or the problems that stop the package from importing.

    `settings` reach the item kinds' checks: for example `embed_hosts`, the hosts study
    visits may embed tours from (the administrators' allow-list).
    """
    path = Path(path)
    if (path / COURSE_FILE).is_file():
        folders = [path]
    elif path.is_dir():
        folders = sorted(p for p in path.iterdir() if (p / COURSE_FILE).is_file())
        if not folders:
            return [], [Problem(str(path), None, f"no {COURSE_FILE} here or in its sub-folders")]
    else:
        return [], [Problem(str(path), None, "no such folder")]

    courses, problems, seen = [], [], {}
    for folder in folders:
        course, found = _load_course(folder, {**(settings or {}), **more_settings})
        problems += found
        if course is None:
            continue
        slug = course.spec.slug
        if slug in seen:
            problems.append(
                Problem(
                    str(folder / COURSE_FILE),
                    course.slug_line,
                    f"duplicate course slug {slug!r} (also in {seen[slug]})",
                )
            )
            continue
        seen[slug] = folder
        courses.append(course)
    return courses, problems


def _load_course(folder: Path, settings: dict) -> tuple[LoadedCourse | None, list[Problem]]:
    file = str(folder / COURSE_FILE)
    try:
        text, problem = _course_text(folder)
        if problem is not None:
            return None, [Problem(file, problem[0], problem[1])]
        raw = YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        return None, [Problem(file, line, f"bad YAML: {error.problem or error.context}")]
    except UnicodeDecodeError:
        return None, [Problem(file, None, "not UTF-8 text")]
    if not isinstance(raw, dict):
        return None, [Problem(file, 1, "course.yaml must be a mapping of fields")]
    try:
        spec = schema.course_model().model_validate(_plain(raw))
    except ValidationError as error:
        return None, [
            Problem(file, _line_of(raw, e["loc"]), f"{_where(raw, e['loc'])}{_message(e)}")
            for e in error.errors()
        ]
    course = LoadedCourse(spec=spec, root=folder, slug_line=_line_of(raw, ("slug",)))
    problems = _check_course(course, raw, file, settings)
    return (None if problems else course), problems


def _course_text(folder: Path) -> tuple[str, tuple[int | None, str] | None]:
    """course.yaml's text, or (line, problem): a plain file of bounded size, without YAML
    aliases (a few bytes of `*alias` can stand for millions of nodes)."""
    path = folder / COURSE_FILE
    if folder.is_symlink() or path.is_symlink():
        return "", (1, "a symbolic link; a package holds plain files only")
    if path.stat().st_size > MAX_COURSE_FILE_BYTES:
        return "", (1, f"larger than {MAX_COURSE_FILE_BYTES // 1024} KB")
    text = path.read_text(encoding="utf-8")
    for event in YAML(typ="rt").parse(text):
        if isinstance(event, AliasEvent):
            return "", (
                event.start_mark.line + 1,
                f"YAML alias *{event.anchor} is not allowed: write the value out",
            )
    return text, None


class CheckContext:
    """What an item kind's `check` uses to read its files and report problems at their line."""

    def __init__(self, course: LoadedCourse, raw, file: str, settings: dict, problems: list):
        self.course, self.raw, self.file, self.settings = course, raw, file, settings
        self.problems = problems
        self.markdown_files: list[str] = []
        self.loc: tuple = ()  # the item being checked, as a path in course.yaml

    @property
    def language(self) -> str:
        return self.course.spec.language

    def line(self, *sub) -> int | None:
        """The line in course.yaml of the item's field at `sub` (e.g. "tour", "url")."""
        return _line_of(self.raw, self.loc + sub)

    def problem(self, sub: tuple, message: str) -> None:
        self.problems.append(Problem(self.file, self.line(*sub), message))

    def need(self, rel: str, *sub) -> str | None:
        """Read a file the item names; record a problem at its field if it cannot be."""
        found, error = _read_file(self.course, rel)
        if error:
            self.problem(sub, error)
        return found

    def picture(self, rel: str, *sub) -> str | None:
        """Read a file that must be a picture the platform shows (by its content)."""
        found = self.need(rel, *sub)
        if found is None:
            return None
        problem = picture_problem(found, self.course.files[found])
        if problem:
            self.problem(sub, problem)
            return None
        return found

    def markdown(self, spec, attribute: str) -> None:
        """The item's Markdown file(s) in `attribute`: named .md, present, links that resolve."""
        value = getattr(spec, attribute, None)
        for language, rel in localised(value, self.language).items():
            sub = (attribute,) if isinstance(value, str) else (attribute, language)
            if not rel.endswith(".md"):
                self.problem(sub, f"{attribute} must name a Markdown (.md) file")
            elif (found := self.need(rel, *sub)) is not None:
                self.markdown_files.append(found)


def _check_course(course: LoadedCourse, raw, file: str, settings: dict) -> list[Problem]:
    """Checks beyond the schema: unique slugs, then each kind's own (files, links), then the
    Markdown files' links."""
    spec, problems = course.spec, []
    item_slugs, module_slugs = set(), set()
    for m, module in enumerate(spec.modules):
        if module.slug in module_slugs:
            problems.append(
                Problem(
                    file,
                    _line_of(raw, ("modules", m, "slug")),
                    f"duplicate module slug {module.slug!r}",
                )
            )
        module_slugs.add(module.slug)
        for i, item in enumerate(module.items):
            if item.slug in item_slugs:
                problems.append(
                    Problem(
                        file,
                        _line_of(raw, ("modules", m, "items", i, "slug")),
                        f"duplicate item slug {item.slug!r}",
                    )
                )
            item_slugs.add(item.slug)

    context = CheckContext(course, raw, file, settings, problems)
    for m, module in enumerate(spec.modules):
        for i, item in enumerate(module.items):
            context.loc = ("modules", m, "items", i)
            kinds.get(item.kind).check(context, item)

    for language, missing in untranslated(spec).items():
        by_kind: dict[str, list[str]] = {}
        for kind, slug in missing:
            by_kind.setdefault(kind, []).append(slug)
        names = "; ".join(
            f"{kind}{'s' if len(slugs) > 1 else ''} {', '.join(slugs)}"
            for kind, slugs in by_kind.items()
        )
        problems.append(
            Problem(
                file,
                _line_of(raw, ("languages",)),
                f"languages lists {language}, but not every lesson is written in {language}: "
                f"{names} (add their {language} text or remove {language} from languages)",
            )
        )

    for rel in context.markdown_files:
        problems += _check_markdown(course, rel, item_slugs)
    return problems


def untranslated(spec: schema.CourseBase) -> dict[str, list[tuple[str, str]]]:
    """{listed language: [(kind, slug) of each item not written in it]}, for the kinds whose
    text a course must offer in every language it lists (lessons: `ItemKind.written_in`)."""
    missing: dict[str, list[tuple[str, str]]] = {}
    for module in spec.modules:
        for item in module.items:
            written_in = kinds.get(item.kind).written_in
            if written_in is None:
                continue
            have = written_in(item, spec.language)
            for language in spec.languages:
                if language not in have:
                    missing.setdefault(language, []).append((item.kind, item.slug))
    return missing


def offered_languages(spec: schema.CourseBase) -> list[str]:
    """The listed languages every lesson is written in: what the catalog says and filters by."""
    missing = untranslated(spec)
    return [language for language in spec.languages if language not in missing]


def picture_problem(path: str, data: bytes) -> str | None:
    """Why the file is not a picture a page may show (read from its content), or None."""
    picture, why = read_picture(data)
    if picture is not None:
        if PurePosixPath(path).suffix.lower() not in PICTURE_EXTENSIONS:
            return f"{path} is a {picture.kind} picture: give it that extension"
        return None
    if why == "not a picture":
        return f"{path} is not a picture (PNG, JPEG, WebP or GIF)"
    if why.startswith("a "):
        return f"{path} is {why}; use PNG, JPEG, WebP or GIF"
    return f"picture {path} is too large: {why}"


def _symlink_in(root: Path, clean: str) -> str | None:
    """The first part of the path (from the course folder down) that is a symbolic link."""
    here = root
    for part in PurePosixPath(clean).parts:
        here = here / part
        if here.is_symlink():
            return str(PurePosixPath(*here.relative_to(root).parts))
    return None


def _read_file(course: LoadedCourse, rel: str) -> tuple[str | None, str | None]:
    """Load a package file into `course.files`: (its clean path, None) or (None, the problem).

    Only plain files inside the course folder: a symbolic link anywhere on the way is refused,
    whatever it points to, and so is anything that resolves outside the folder."""
    clean = clean_path(rel)
    if clean is None:
        return None, f"file path {rel!r} must stay inside the course folder"
    link = _symlink_in(course.root, clean)
    if link is not None:
        return None, f"{link} is a symbolic link; a package holds plain files only"
    target = course.root / clean
    if not target.resolve().is_relative_to(course.root.resolve()):
        return None, f"file path {rel!r} must stay inside the course folder"
    if not target.is_file():
        return None, f"missing file {clean}"
    if target.stat().st_size > MAX_FILE_BYTES:
        return None, f"file {clean} is larger than 20 MB"
    course.files.setdefault(clean, target.read_bytes())
    return clean, None


def _check_markdown(course, rel, item_slugs) -> list[Problem]:
    file = str(course.root / rel)
    try:
        text = course.text(rel)
    except UnicodeDecodeError:
        return [Problem(file, None, "not UTF-8 text")]
    problems = []
    base = PurePosixPath(rel).parent
    for ref in markdown.references(text):
        target = ref.target
        if target.startswith("item:"):
            if target[5:] not in item_slugs:
                problems.append(
                    Problem(
                        file, ref.line, f"broken internal link {target!r}: no item with that slug"
                    )
                )
        elif target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        elif ":" in target.split("/")[0]:
            problems.append(
                Problem(
                    file,
                    ref.line,
                    f"link {target!r}: only http, https, mailto and item: links are allowed",
                )
            )
        elif target:
            found, error = _read_file(course, str(base / target))
            if error:
                problems.append(Problem(file, ref.line, f"broken link {target!r}: {error}"))
            elif ref.kind == "image" and (problem := picture_problem(found, course.files[found])):
                problems.append(Problem(file, ref.line, problem))
    return problems


def clean_path(rel: str) -> str | None:
    """The path normalised inside the course folder, or None if it would leave it."""
    if not rel or rel.startswith(("/", "\\")) or "\\" in rel or "\x00" in rel:
        return None
    parts = []
    for part in PurePosixPath(rel).parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts) or None


def _plain(node):
    """ruamel's round-trip nodes as plain dicts and lists, for pydantic."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _walk(raw, loc):
    """Follow pydantic's error path through the YAML: (the deepest line found, the path as the
    file has it). Union tags in the path (a `kind` value, a model name) are not keys in the
    file and are skipped."""
    node, line, path = raw, 1, []
    for key in loc:
        tag = isinstance(node, dict) and isinstance(key, str) and key not in node
        if tag and (key == node.get("kind") or key[:1].isupper()):
            continue  # the union's tag or a model's name
        path.append(str(key))
        try:
            if isinstance(node, dict) and key in node:
                line = node.lc.key(key)[0] + 1
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                line = node.lc.item(key)[0] + 1
                node = node[key]
            else:
                node = None
        except (AttributeError, KeyError, TypeError):
            node = None
    return line, path


def _line_of(raw, loc) -> int | None:
    """The 1-based line of the deepest node on the path that the YAML file has."""
    return _walk(raw, loc)[0]


def _where(raw, loc) -> str:
    path = _walk(raw, loc)[1]
    return ("/".join(path) + ": ") if path else ""


def _message(error) -> str:
    if error["type"] == "missing":
        return "missing field"
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "union_tag_invalid":
        return (
            f"unknown kind {error['input'].get('kind')!r}"
            if isinstance(error["input"], dict)
            else error["msg"]
        )
    return error["msg"].removeprefix("Value error, ")
