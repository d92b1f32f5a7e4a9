"""Imports follow the pipeline and never go back; no module imports itself through others (issue #15).

The table is /work/shared/architecture.md's, with design.md's addition that
evaluation/ may import models/ (error types, BATCH_SIZE). Every ``import`` and
``from ... import`` is read with ast, those inside functions too (a lazy
import is still a dependency): nothing is imported here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

STAGES = {"annotate", "models", "train", "inference", "evaluation"}  # folders installed as zhner.<folder>
MAY_IMPORT = {
    "annotate": set(),
    "models": {"annotate"},
    "train": {"annotate", "models"},
    "inference": {"annotate", "models"},
    "evaluation": {"annotate", "models", "inference", "train"},
    "zhner": STAGES,  # lazily: see ZHNER_LAZY
}
TRAIN_IN_EVALUATION = {("zhner.evaluation.evaluate", "cross_validate")}  # "train only for cross-validation"


def modules(root: Path) -> dict[str, Path]:
    """Module name (``zhner.models.base``) -> file, for the stage folders and zhner/."""
    out = {}
    for folder in sorted(STAGES | {"zhner"}):
        for path in sorted((root / folder).rglob("*.py")):
            parts = list(path.relative_to(root / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(["zhner", folder, *parts] if folder != "zhner" else ["zhner", *parts])] = path
    return out


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else "zhner"


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, str | None, int]]:
    """(imported project module, enclosing function or None at module level, line) of each import in ``path``."""
    found: list[tuple[str, str | None, int]] = []
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if isinstance(child, ast.Import):
                found.extend((a.name, function, child.lineno) for a in child.names if a.name.startswith("zhner"))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join(package[: len(package) - child.level + 1] + ([base] if base else []))
                if base == "zhner" or base.startswith("zhner."):
                    for a in child.names:  # `from zhner.models import modeldir` imports the module modeldir
                        target = f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                        found.append((target, function, child.lineno))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), None)
    return found


def problems(root: Path) -> list[str]:
    """Every import against the table, and every circle of imports, as sentences; empty if none."""
    known = modules(root)
    out, graph = [], {}
    for name, path in known.items():
        here = f"{path.relative_to(root)}"
        for target, function, line in imports(name, path, known):
            if target not in known:
                out.append(f"{here}:{line}: imports {target}, which is no module of the project")
                continue
            graph.setdefault(name, set()).add(target)
            src, dst = stage(name), stage(target)
            if src == dst:
                continue
            if dst not in MAY_IMPORT[src]:
                out.append(f"{here}:{line}: {src}/ imports {target}; {src}/ may import only {sorted(MAY_IMPORT[src])}")
            elif src == "evaluation" and dst == "train" and (name, function) not in TRAIN_IN_EVALUATION:
                out.append(f"{here}:{line}: evaluation/ imports {target} outside cross-validation")
            elif src == "zhner" and function is None:
                out.append(f"{here}:{line}: zhner/ imports {target} at module level; import a stage when it runs")
    out.extend(f"import circle: {' -> '.join(c)}" for c in circles(graph))
    return out


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle (first module repeated at the end) per strongly connected group of modules that import each other."""
    order, low, stack, on, groups = {}, {}, [], set(), []

    def connect(v: str) -> None:  # Tarjan's algorithm
        order[v] = low[v] = len(order)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in order:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], order[w])
        if low[v] == order[v]:
            group = set()
            while True:
                w = stack.pop()
                on.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph.get(v, ()):
                groups.append(group)

    for v in sorted(graph):
        if v not in order:
            connect(v)
    return [_circle(graph, group) for group in groups]


def _circle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    start = min(group)
    path, seen = [start], {start}
    while True:  # inside a strongly connected group every module reaches start again
        nxt = sorted(w for w in graph[path[-1]] if w in group)
        back = [w for w in nxt if w == start]
        if back:
            return [*path, start]
        step = next((w for w in nxt if w not in seen), nxt[0])
        path.append(step)
        seen.add(step)


def test_architecture_imports_follow_the_table_and_make_no_circle(root) -> None:
    assert len(modules(root)) > 40  # the scan found the tree
    assert problems(root) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for folder in STAGES | {"zhner"}:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"annotate/a.py": "from zhner.models.b import x\n", "models/b.py": ""}, "annotate/ imports zhner.models.b"),
        ({"models/b.py": "def f():\n    from zhner.train import c\n", "train/c.py": ""}, "models/ imports"),
        ({"inference/d.py": "from zhner.evaluation import report\n"}, "inference/ imports zhner.evaluation;"),
        ({"train/t.py": "from zhner.nothing import x\n"}, "no module of the project"),
        ({"evaluation/e.py": "def score():\n    import zhner.train.run\n", "train/run.py": ""}, "outside cross-val"),
        ({"zhner/cli.py": "from zhner.train import run\n", "train/run.py": ""}, "at module level"),
        (
            {"models/p.py": "from zhner.models import q\n", "models/q.py": "def f():\n    from . import p\n"},
            "import circle: zhner.models.p -> zhner.models.q -> zhner.models.p",
        ),
    ],
)
def test_architecture_check_finds_backward_imports_and_circles(tmp_path, files, expected) -> None:
    found = problems(_tree(tmp_path, files))
    assert any(expected in p for p in found), found
