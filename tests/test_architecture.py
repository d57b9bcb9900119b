"""The house's shape: apps depend on each other one way, modules import no circle, and no
application module grows past what a reader takes in at once (the README draws the picture).
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each app may import the apps to its left, never one to its right.
LAYERS = ["channels", "teams", "funnel", "plans", "metrics", "dashboards", "api", "bot"]
# kpi_project wires settings and URLs: it may import any app, and no app imports it
# (its cache backend and WSGI hooks aside, named here).
ALLOWED_PROJECT_IMPORTS = {"kpi_project.cache"}
MAX_LINES = 520


def _modules() -> dict[str, Path]:
    found = {}
    for app in [*LAYERS, "kpi_project"]:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _type_only(tree: ast.Module) -> set[int]:
    """Ids of the nodes under `if TYPE_CHECKING:`: imports for annotations, never run."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            skipped |= {id(child) for part in node.body for child in ast.walk(part)}
    return skipped


def _imports(path: Path) -> set[str]:
    """Project modules imported by a file, at any depth (function-level imports too)."""
    names = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = _type_only(tree)
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in names if name in MODULES}


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _app(module: str) -> str:
    return module.split(".", 1)[0]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_an_app_imports_only_the_apps_below_it(module):
    app = _app(module)
    for target in GRAPH[module]:
        other = _app(target)
        if other == app:
            continue
        if other == "kpi_project":
            assert target in ALLOWED_PROJECT_IMPORTS, f"{module} imports {target}"
            continue
        if app == "kpi_project":
            continue
        assert LAYERS.index(other) < LAYERS.index(app), (
            f"{module} imports {target}: {app} may import only {LAYERS[: LAYERS.index(app)]}"
        )


def test_no_module_imports_itself_through_a_circle():
    cycles = []
    state: dict[str, int] = defaultdict(int)  # 0 new, 1 on the path, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(GRAPH[node]):
            # A package importing its own submodules is not a circle.
            if target.startswith(node + "."):
                continue
            if state[target] == 1:
                cycles.append([*path[path.index(target) :], target] if target in path else path)
            elif state[target] == 0:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(GRAPH):
        if state[module] == 0:
            visit(module, [module])
    assert cycles == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_application_module_is_too_long_to_read(module):
    path = MODULES[module]
    if "management" in path.parts or "tests" in path.parts:
        return
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"
