"""The static import graph of ``sim`` and ``experiments``: no cycles, and ``sim`` stands alone.

Every ``import`` counts, wherever it is: at module level, inside a function, and under
``if TYPE_CHECKING:`` (a cycle there is still two modules that need each other).
"""

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("sim", "experiments")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules that module `name` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # ``from pkg import mod`` imports the module pkg.mod; ``from mod import f`` imports mod
            targets = [
                f"{source}.{a.name}" if f"{source}.{a.name}" in known else source
                for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:  # ``import sim.params.x`` -> sim.params
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> nx.DiGraph:
    mods = modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(mods)
    for name, path in mods.items():
        graph.add_edges_from((name, target) for target in imported(name, path, set(mods)))
    return graph


def test_the_graph_sees_every_kind_of_import():
    graph = import_graph()
    assert ("sim.model", "sim.township") in graph.edges  # module level, relative
    assert ("experiments.cli.main", "experiments.cli.run") in graph.edges  # absolute
    assert ("experiments.cli.run", "sim.run") in graph.edges or (
        "experiments.cli.run",
        "sim",
    ) in graph.edges  # inside a function
    assert len(graph) > 30


def test_no_import_cycles():
    graph = import_graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    messages = []
    for component in cycles:
        cycle = nx.find_cycle(graph.subgraph(component))
        messages.append(" -> ".join([u for u, _ in cycle] + [cycle[0][0]]))
    assert not cycles, "import cycles:\n" + "\n".join(messages)


def test_sim_does_not_import_experiments():
    graph = import_graph()
    bad = sorted(
        (a, b)
        for a, b in graph.edges
        if a.split(".")[0] == "sim" and b.split(".")[0] == "experiments"
    )
    assert not bad, f"sim imports experiments: {bad}"
