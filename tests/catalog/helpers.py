"""Helpers for tests that build broken course packages from the small example."""

import shutil
from pathlib import Path

EXAMPLE = Path(__file__).parent / "packages" / "small-example"


def copy_example(where: Path, name: str = "course") -> Path:
    """A copy of the small example course, to break in a test."""
    target = where / name
    shutil.copytree(EXAMPLE, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace text that occurs exactly once in the file."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {path} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")
