"""Markdown to safe HTML: markdown-it-py renders (raw HTML off), nh3 sanitises."""

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


def references(text: str) -> list[Reference]:
    """Every link and image target in the Markdown, for checking before import."""
    found = []
    for block in _md.parse(text):
        line = block.map[0] + 1 if block.map else 1
        for token in block.children or []:
            if token.type == "link_open":
                found.append(Reference("link", token.attrGet("href") or "", line))
            elif token.type == "image":
                found.append(Reference("image", token.attrGet("src") or "", line))
    return found


def render(text: str, rewrite: Callable[[str, str], str] | None = None) -> str:
    """Render Markdown to sanitised HTML; `rewrite(kind, target)` maps link/image targets."""
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
    return sanitise(html)


def sanitise(html: str) -> str:
    """Keep only harmless markup: no script, no event handlers, no javascript: URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
