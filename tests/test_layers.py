"""The layers, read from the imports (CONVENTIONS.md, "Layers you can test"): core names no
feature area, and the feature areas depend on one another without a cycle.

Every `import` and `from ... import` in a module counts, inside functions too: an import
deferred to dodge a circular import is still a dependency.
"""

import ast
from collections import defaultdict, deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
AREAS = sorted(p.name for p in APP.iterdir() if (p / "__init__.py").is_file())
FEATURE_AREAS = [area for area in AREAS if area != "core"]


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) for every import in the file; relative imports made absolute."""
    package = list(path.relative_to(ROOT).with_suffix("").parts)
    if path.name != "__init__.py":
        package.pop()  # a module's relative imports start from its package
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            if module == "app":  # `from app import catalog` imports the catalog area
                found += [(node.lineno, f"app.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
    return sorted(found)


def area_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "app" and len(parts) > 1 and parts[1] in AREAS else None


def area_dependencies() -> dict[tuple[str, str], list[str]]:
    """(area, area it imports) -> the lines responsible, as "path:line imports module"."""
    edges = defaultdict(list)
    for path in sorted(APP.rglob("*.py")):
        top = path.relative_to(APP).parts[0]  # app/__init__.py, config.py ... are no area
        source = top if top in AREAS else None
        for line, module in imports_of(path):
            target = area_of(module)
            if source and target and target != source:
                where = f"{path.relative_to(ROOT)}:{line} imports {module}"
                edges[source, target].append(where)
    return edges


def shortest_path(edges, start: str, goal: str) -> list[str] | None:
    """The shortest chain of areas from start to goal along the imports, or None."""
    came_from = {start: None}
    queue = deque([start])
    while queue:
        area = queue.popleft()
        if area == goal:
            chain = []
            while area is not None:
                chain.append(area)
                area = came_from[area]
            return chain[::-1]
        for source, target in sorted(edges):
            if source == area and target not in came_from:
                came_from[target] = area
                queue.append(target)
    return None


def cycles(edges) -> list[list[str]]:
    """One shortest cycle through each import that is on a cycle, e.g. [a, b, a]."""
    found = set()
    for source, target in edges:
        back = shortest_path(edges, target, source)
        if back is not None:
            cycle = [source, *back]
            start = cycle.index(min(cycle[:-1]))  # one spelling per cycle
            found.add(tuple(cycle[start:-1] + cycle[:start] + [cycle[start]]))
    return [list(cycle) for cycle in sorted(found)]


def test_the_reader_sees_deferred_and_relative_imports(tmp_path, monkeypatch):
    package = tmp_path / "app" / "core"
    package.mkdir(parents=True)
    module = package / "example.py"
    module.write_text(
        "def f():\n    from ..catalog import models\n    import app.seasons\n"
        "    from .. import create_app, visits\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert imports_of(module) == [
        (2, "app.catalog"),
        (3, "app.seasons"),
        (4, "app.create_app"),
        (4, "app.visits"),
    ]


def test_core_imports_no_feature_area():
    edges = area_dependencies()
    offending = [where for area in FEATURE_AREAS for where in edges.get(("core", area), [])]
    assert not offending, "core must not import a feature area:\n" + "\n".join(offending)


def test_feature_areas_form_no_cycle():
    edges = area_dependencies()
    assert ("learning", "core") in edges, "the import reader found nothing: check AREAS"
    report = []
    for cycle in cycles(edges):
        report.append(" -> ".join(cycle))
        for source, target in zip(cycle, cycle[1:], strict=False):
            report += [f"    {where}" for where in edges[source, target]]
    assert not report, "feature areas import each other in a cycle:\n" + "\n".join(report)
