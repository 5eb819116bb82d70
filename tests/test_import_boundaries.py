"""The package's layers import one way (CONTRIBUTING.md, "How the code is laid out"):
money <- needs <- giving <- allocation <- stories/transparency <- panel <- wagtail_hooks.

Read from the source with ``ast``, so an import inside a function counts like any other: a
lazy import only hides a cycle from Python's import machinery, not from the design.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import wagtail_sixdegrees

# The package as imported: the checkout, or the installed wheel when tox runs a copy of the tests.
PACKAGE = Path(wagtail_sixdegrees.__file__).resolve().parent
NAME = PACKAGE.name


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def _unit(module: str) -> str:
    """The subpackage (or top-level module) a module belongs to: the nodes of the graph."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if not node.level:
        return [node.module or ""]
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    if node.module:
        return [".".join([*base, node.module])]
    return [".".join([*base, alias.name]) for alias in node.names]  # from . import x


def import_graph(root: Path = PACKAGE) -> dict[str, dict[str, list[str]]]:
    """unit -> imported unit -> where (``module:line``), migrations aside."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module, is_package = _module_name(path, root)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for target in _imported(node, module, is_package):
                if not target.startswith(NAME + "."):
                    continue
                source_unit, target_unit = _unit(module), _unit(target)
                if source_unit != target_unit:
                    graph[source_unit][target_unit].append(f"{module}:{node.lineno}")
    return graph


def import_cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Strongly connected groups of more than one unit (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        on_stack.add(unit)
        for other in graph.get(unit, {}):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in on_stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == unit:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for unit in sorted(graph):
        if unit not in index:
            visit(unit)
    return cycles


def _explain(graph: dict[str, dict[str, list[str]]], group: list[str]) -> str:
    lines = [" <-> ".join(group)]
    for unit in group:
        for other, where in sorted(graph[unit].items()):
            if other in group:
                lines.append(f"  {unit} -> {other}: {', '.join(where[:3])}")
    return "\n".join(lines)


def test_no_import_cycle_between_the_packages_parts():
    graph = import_graph()
    assert "allocation" in graph and "giving" in graph  # the package's modules were read
    cycles = import_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(_explain(graph, c) for c in cycles)


def test_the_cycle_finder_sees_a_function_local_import(tmp_path):
    package = tmp_path / NAME
    for part, source in {
        "needs/models.py": "def progress():\n    from ..allocation import balances\n",
        "allocation/balances.py": "from ..needs.models import progress\n",
    }.items():
        path = package / part
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(source)
    (package / "__init__.py").touch()

    assert import_cycles(import_graph(package)) == [["allocation", "needs"]]


def test_the_engine_and_the_fill_order_stay_below_the_orm():
    """The engine is pure (docs/concepts.md#allocation-rules); the fill order it shares with needs must be too."""
    for path in (PACKAGE / "allocation" / "engine.py", PACKAGE / "needs" / "fill_order.py"):
        top_level = [
            node
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.Import | ast.ImportFrom)
        ]
        names = {
            alias.name for node in top_level if isinstance(node, ast.Import) for alias in node.names
        }
        names |= {node.module or "" for node in top_level if isinstance(node, ast.ImportFrom)}
        assert not {name for name in names if name.startswith(("django", "wagtail"))}, path


# Django's documented model API, underscore and all.
PUBLIC_UNDERSCORED = {"_meta", "_default_manager", "_base_manager"}


def private_reaches(root: Path = PACKAGE) -> list[str]:
    """``module:line name`` for every private name one module takes from another."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module, _is_package = _module_name(path, root)
        tree = ast.parse(path.read_text(), str(path))
        package_modules: set[str] = set()  # local names bound to modules of the package
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").startswith(NAME)
            ):
                for alias in node.names:
                    name = alias.asname or alias.name
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{module}:{node.lineno} {alias.name}")
                    package_modules.add(name)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in package_modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr not in PUBLIC_UNDERSCORED
            ):
                found.append(f"{module}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_no_module_reaches_into_another_modules_private_names():
    assert not private_reaches()
