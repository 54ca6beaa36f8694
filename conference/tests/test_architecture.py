"""The apps import only the apps below them, and no two apps import each other.

Every module of the apps is parsed with ``ast`` (tests and migrations left out), imports inside
functions included: a lazy import is an import. The layering (docs: README "Layout"):

    conference  <- accounts, sfu  <- rooms  <- transcripts  <- summaries  <- dashboard

Upward news goes by signals the lower app defines; pages compose higher apps' parts with their
template tags.
"""

from __future__ import annotations

import ast
import tempfile
import textwrap
import unittest
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Each app and the apps it may import.
ALLOWED: dict[str, set[str]] = {
    "conference": set(),
    "accounts": {"conference"},
    "sfu": {"conference"},
    "rooms": {"accounts", "sfu", "conference"},
    "transcripts": {"rooms", "sfu", "accounts", "conference"},
    "summaries": {"transcripts", "rooms", "accounts", "conference"},
    # The organization dashboard reads (and administers) everything below it; nothing imports it.
    "dashboard": {"summaries", "transcripts", "rooms", "accounts", "conference"},
}

# The project's wiring and its test support, which import the apps they put together.
WIRING = {
    "conference/urls.py",
    "conference/asgi.py",
    "conference/celery.py",
    "conference/testing",
}


@dataclass(frozen=True)
class AppImport:
    module: str  # path of the importing file, relative to the root
    line: int
    source_app: str
    target_app: str
    statement: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.statement}  ({self.source_app} -> {self.target_app})"


def _skipped(rel: Path) -> bool:
    parts = rel.parts
    if "tests" in parts or "migrations" in parts or rel.name.startswith("test_"):
        return True
    return any(rel.as_posix() == w or rel.as_posix().startswith(w + "/") for w in WIRING)


def app_imports(root: Path, apps: set[str]) -> list[AppImport]:
    """Every import of one app by another, in the apps' modules under ``root``."""
    found: list[AppImport] = []
    for app in sorted(apps):
        for path in sorted((root / app).rglob("*.py")):
            rel = path.relative_to(root)
            if _skipped(rel):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    targets = [node.module]
                else:
                    continue  # relative imports stay inside the app
                for target in targets:
                    target_app = target.split(".")[0]
                    if target_app in apps and target_app != app:
                        found.append(
                            AppImport(rel.as_posix(), node.lineno, app, target_app, ast.unparse(node))
                        )
    return found


def layering_violations(imports: list[AppImport], allowed: dict[str, set[str]]) -> list[AppImport]:
    return [i for i in imports if i.target_app not in allowed.get(i.source_app, set())]


def cycles(imports: list[AppImport]) -> list[list[str]]:
    """The import cycles between apps: each strongly connected group of two or more apps."""
    graph: dict[str, set[str]] = {}
    for i in imports:
        graph.setdefault(i.source_app, set()).add(i.target_app)
        graph.setdefault(i.target_app, set())

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reach = {app: reachable(app) for app in graph}
    groups: list[list[str]] = []
    done: set[str] = set()
    for app in sorted(graph):
        if app in done or app not in reach[app]:
            continue
        group = sorted(a for a in graph if a == app or (a in reach[app] and app in reach[a]))
        done.update(group)
        groups.append(group)
    return groups


def report(imports: list[AppImport], groups: list[list[str]]) -> str:
    lines = []
    for group in groups:
        lines.append("import cycle between " + " <-> ".join(group) + ":")
        lines += [f"  {i}" for i in imports if i.source_app in group and i.target_app in group]
    return "\n".join(lines)


class ArchitectureTests(unittest.TestCase):
    def setUp(self) -> None:
        self.imports = app_imports(ROOT, set(ALLOWED))

    def test_the_apps_are_scanned(self) -> None:
        # The scan sees the imports it exists for (a scan of nothing would pass everything).
        pairs = {(i.source_app, i.target_app) for i in self.imports}
        self.assertIn(("summaries", "transcripts"), pairs)
        self.assertIn(("rooms", "accounts"), pairs)

    def test_no_import_cycle_between_apps(self) -> None:
        groups = cycles(self.imports)
        if groups:
            self.fail("\n" + report(self.imports, groups))

    def test_imports_follow_the_layering(self) -> None:
        bad = layering_violations(self.imports, ALLOWED)
        if bad:
            self.fail("\nimports against the layering:\n" + "\n".join(f"  {i}" for i in bad))


class CheckerTests(unittest.TestCase):
    """The checks find a planted upward import and the cycle it makes."""

    def test_finds_an_upward_import_and_its_cycle(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            files = {
                "low/services.py": "def end():\n    from high import services  # lazy, still an import\n",
                "high/services.py": "from low.services import end\n",
                "high/tests/test_x.py": "import low\n",
                "high/migrations/0001_initial.py": "import low\n",
            }
            for name, text in files.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_text(textwrap.dedent(text))
            imports = app_imports(root, {"low", "high"})
            self.assertEqual(len(imports), 2)  # tests and migrations are left out
            bad = layering_violations(imports, {"low": set(), "high": {"low"}})
            self.assertEqual(
                [(i.module, i.line, i.statement) for i in bad],
                [("low/services.py", 2, "from high import services")],
            )
            self.assertEqual(cycles(imports), [["high", "low"]])
            self.assertIn("low/services.py:2: from high import services", report(imports, cycles(imports)))
