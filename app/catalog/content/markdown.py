"""Markdown to safe HTML: markdown-it-py renders (raw HTML off), nh3 sanitises."""

import re
from collections.abc import Callable
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False}).enable("table")

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "img", "blockquote", "code",
    "pre", "hr", "br", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}


@dataclass(frozen=True)
class Reference:
    """A link or image target written in Markdown, with the line it is on."""

    kind: str  # "link" or "image"
    target: str
    line: int


# markdown-it drops links with these schemes without a word; find them to report them.
_REFUSED_LINK = re.compile(
    r"\]\(\s*<?\s*((?:javascript|vbscript|data|file):[^)\s]*)", re.IGNORECASE
)


def references(text: str) -> list[Reference]:
    """Every link and image target in the Markdown, with its own line, for checking."""
    lines = text.splitlines()
    found = []
    for block in _md.parse(text):
        start, end = block.map if block.map else (0, len(lines))
        for token in block.children or []:
            if token.type == "link_open":
                target = token.attrGet("href") or ""
                found.append(Reference("link", target, _line_of(lines, target, start, end)))
            elif token.type == "image":
                target = token.attrGet("src") or ""
                found.append(Reference("image", target, _line_of(lines, target, start, end)))
    for number, line in enumerate(lines, start=1):
        for match in _REFUSED_LINK.finditer(line):
            found.append(Reference("link", match.group(1), number))
    return found


def _line_of(lines: list[str], target: str, start: int, end: int) -> int:
    """The line within a block where the target is written (the block's first line if unsure)."""
    for number in range(start, min(end, len(lines))):
        if target and target in lines[number]:
            return number + 1
    return start + 1


def render(
    text: str,
    rewrite: Callable[[str, str], str] | None = None,
    extra_schemes: frozenset[str] = frozenset(),
    *,
    tags: set[str] = ALLOWED_TAGS,
    link_rel: str = "noopener noreferrer",
) -> str:
    """Render Markdown to sanitised HTML; `rewrite(kind, target)` maps link/image targets.

    People's posts (discussions) pass fewer `tags` and `link_rel="nofollow ugc ..."`."""
    tokens = _md.parse(text)
    for block in tokens:
        if block.type == "heading_open" and block.tag == "h1":
            # The page title is the item's h1; headings inside a lesson start at h2.
            block.tag = "h2"
        elif block.type == "heading_close" and block.tag == "h1":
            block.tag = "h2"
        for token in block.children or []:
            if rewrite and token.type == "link_open":
                token.attrSet("href", rewrite("link", token.attrGet("href") or ""))
            elif rewrite and token.type == "image":
                token.attrSet("src", rewrite("image", token.attrGet("src") or ""))
    html = _md.renderer.render(tokens, _md.options, {})
    return sanitise(html, extra_schemes, tags=tags, link_rel=link_rel)


def sanitise(
    html: str,
    extra_schemes: frozenset[str] = frozenset(),
    *,
    tags: set[str] = ALLOWED_TAGS,
    link_rel: str = "noopener noreferrer",
) -> str:
    """Keep only harmless markup: no script, no event handlers, no javascript: URLs."""
    return nh3.clean(
        html,
        tags=tags,
        attributes={tag: names for tag, names in ALLOWED_ATTRIBUTES.items() if tag in tags},
        url_schemes={"http", "https", "mailto"} | extra_schemes,
        link_rel=link_rel,
    )
