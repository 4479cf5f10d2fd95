"""Read a package folder, validate all of it, and report every problem with file and line.

A package is a folder holding one course (with `course.yaml`) or several course folders.
Nothing here touches the database: the importer takes what `load_package` returns.
"""

import io
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from PIL import Image, UnidentifiedImageError
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from app.catalog.content import markdown, schema
from app.visits.embeds import DEFAULT_EMBED_HOSTS, embed_url_problem

COURSE_FILE = "course.yaml"
MAX_FILE_BYTES = 20 * 1024 * 1024
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".webp": "image/webp", ".gif": "image/gif"}  # fmt: skip
PANORAMA_FORMATS = {"JPEG", "PNG", "WEBP"}
# Phones' graphics chips commonly refuse textures wider than 4096 pixels.
MAX_PANORAMA_WIDTH = 4096


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

    spec: schema.Course
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
    path: Path, embed_hosts: Collection[str] = DEFAULT_EMBED_HOSTS
) -> tuple[list[LoadedCourse], list[Problem]]:
    """Every course under `path`, or the problems that stop the package from importing.

    Study visits may embed tours only from `embed_hosts` (the administrators' allow-list).
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
        course, found = _load_course(folder, frozenset(embed_hosts))
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


def _load_course(folder: Path, embed_hosts: frozenset) -> tuple[LoadedCourse | None, list[Problem]]:
    file = str(folder / COURSE_FILE)
    try:
        raw = YAML(typ="rt").load((folder / COURSE_FILE).read_text(encoding="utf-8"))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        return None, [Problem(file, line, f"bad YAML: {error.problem or error.context}")]
    except UnicodeDecodeError:
        return None, [Problem(file, None, "not UTF-8 text")]
    if not isinstance(raw, dict):
        return None, [Problem(file, 1, "course.yaml must be a mapping of fields")]
    try:
        spec = schema.Course.model_validate(_plain(raw))
    except ValidationError as error:
        return None, [
            Problem(file, _line_of(raw, e["loc"]), f"{_where(e['loc'])}{_message(e)}")
            for e in error.errors()
        ]
    course = LoadedCourse(spec=spec, root=folder, slug_line=_line_of(raw, ("slug",)))
    problems = _check_course(course, raw, file, embed_hosts)
    return (None if problems else course), problems


def _check_course(course: LoadedCourse, raw, file: str, embed_hosts: frozenset) -> list[Problem]:
    """Checks beyond the schema: unique slugs, files present, internal links resolve."""
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

    def need(rel: str, loc: tuple) -> str | None:
        """Read a file course.yaml names; record a problem at `loc` if it cannot be."""
        found, error = _read_file(course, rel)
        if error:
            problems.append(Problem(file, _line_of(raw, loc), error))
        return found

    markdown_files = []
    for m, module in enumerate(spec.modules):
        for i, item in enumerate(module.items):
            loc = ("modules", m, "items", i)
            for attribute in ("body", "source", "brief"):
                value = getattr(item, attribute, None)
                for language, rel in localised(value, spec.language).items():
                    sub = (attribute,) if isinstance(value, str) else (attribute, language)
                    if not rel.endswith(".md"):
                        problems.append(
                            Problem(
                                file,
                                _line_of(raw, loc + sub),
                                f"{attribute} must name a Markdown (.md) file",
                            )
                        )
                    elif (found := need(rel, loc + sub)) is not None:
                        markdown_files.append(found)
            if item.kind == "resource":
                need(item.file, loc + ("file",))
            for s, still in enumerate(getattr(item, "stills", [])):
                found = need(still.file, loc + ("stills", s, "file"))
                if found and PurePosixPath(found).suffix.lower() not in IMAGE_TYPES:
                    problems.append(
                        Problem(
                            file,
                            _line_of(raw, loc + ("stills", s, "file")),
                            f"{found} is not a picture",
                        )
                    )
            if item.kind == "study_visit" and item.tour is not None:
                problems += _check_tour(
                    course, item.tour, file, embed_hosts,
                    lambda sub, loc=loc: _line_of(raw, loc + ("tour",) + sub),
                )  # fmt: skip

    for rel in markdown_files:
        problems += _check_markdown(course, rel, item_slugs)
    return problems


def _check_tour(course, tour, file: str, embed_hosts: frozenset, line) -> list[Problem]:
    """An embed from an allowed host over https; scenes that link up and real panoramas."""
    if tour.kind == "embed":
        problem = embed_url_problem(tour.url, embed_hosts)
        return [Problem(file, line(("url",)), problem)] if problem else []
    problems, ids = [], set()
    for s, scene in enumerate(tour.scenes):
        if scene.id in ids:
            problems.append(
                Problem(file, line(("scenes", s, "id")), f"duplicate scene id {scene.id!r}")
            )
        ids.add(scene.id)
    for s, scene in enumerate(tour.scenes):
        for h, hotspot in enumerate(scene.hotspots):
            if hotspot.kind == "scene" and hotspot.scene not in ids:
                problems.append(
                    Problem(
                        file,
                        line(("scenes", s, "hotspots", h, "scene")),
                        f"hotspot leads to scene {hotspot.scene!r}: no scene with that id",
                    )
                )
        found, problem = _read_file(course, scene.panorama)
        if found is not None:
            problem = panorama_problem(found, course.files[found])
        if problem:
            problems.append(Problem(file, line(("scenes", s, "panorama")), problem))
    return problems


def panorama_problem(path: str, data: bytes) -> str | None:
    """Why the bytes are not an equirectangular panorama a phone can show, or None."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            kind, (width, height) = picture.format, picture.size
            picture.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return f"panorama {path} is not a picture (JPEG, PNG or WebP)"
    if kind not in PANORAMA_FORMATS:
        return f"panorama {path} is a {kind} picture; use JPEG, PNG or WebP"
    if abs(width - 2 * height) > 2:
        return (
            f"panorama {path} is {width}x{height}: an equirectangular panorama is twice as "
            "wide as it is high"
        )
    if width > MAX_PANORAMA_WIDTH:
        return f"panorama {path} is {width} pixels wide; phones show at most {MAX_PANORAMA_WIDTH}"
    return None


def _read_file(course: LoadedCourse, rel: str) -> tuple[str | None, str | None]:
    """Load a package file into `course.files`: (its clean path, None) or (None, the problem)."""
    clean = clean_path(rel)
    if clean is None:
        return None, f"file path {rel!r} must stay inside the course folder"
    target = course.root / clean
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
            elif ref.kind == "image" and PurePosixPath(found).suffix.lower() not in IMAGE_TYPES:
                problems.append(Problem(file, ref.line, f"{target} is not a picture"))
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


def _line_of(raw, loc) -> int | None:
    """The 1-based line of the deepest node on the path that the YAML file has."""
    node, line = raw, 1
    for key in loc:
        if isinstance(key, str) and (key[:1].isupper() or key in ITEM_KINDS | TOUR_KINDS):
            continue  # pydantic's union tag or model name: not a key in the file
        try:
            if isinstance(node, dict) and key in node:
                line = node.lc.key(key)[0] + 1
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                line = node.lc.item(key)[0] + 1
                node = node[key]
            else:
                break
        except (AttributeError, KeyError, TypeError):
            break
    return line


ITEM_KINDS = {"lesson", "quiz", "resource", "guide", "study_visit", "capstone"}
TOUR_KINDS = {"hosted", "embed"}


def _where(loc) -> str:
    # pydantic puts the union's tag (an item kind) and class names in the path; drop them.
    parts = [
        str(p)
        for p in loc
        if not (isinstance(p, str) and (p[:1].isupper() or p in ITEM_KINDS | TOUR_KINDS))
    ]
    return ("/".join(parts) + ": ") if parts else ""


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
