"""The layers run one way down (DESIGN.md, docs/architecture.md): the allowed import directions are written
down once, here, and every import of every module is checked against them by walking its syntax tree.
Imports inside functions and under TYPE_CHECKING count too: they are dependencies all the same."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each layer and the modules in it (a name covers its submodules; the longest name that matches wins), top
# layer first. A module that is in no layer fails the test: a new package gets its place here.
LAYERS: dict[str, tuple[str, ...]] = {
    # Tools built on everything: the simulator, the benchmarks, the calibration sweep and the house meter's lag
    # measure, the service file, the private broker the tests, the demo and the benchmarks start.
    "tools": ("simulation", "bench", "contrib", "localbroker", "calibration.__main__", "calibration.cli",
              "calibration.plot", "calibration.report", "calibration.meter", "calibration.sweep",
              "calibration.sweep_cli", "calibration.sweep_options", "calibration.sweep_config",
              "calibration.sweep_target", "calibration.sweep_files", "calibration.sweep_link",
              "calibration.sweep_link_end", "calibration.sweep_measure", "calibration.sweep_base",
              "calibration.sweep_reboot", "calibration.sweep_plan", "calibration.sweep_remeasures",
              "calibration.sweep_questions", "calibration.sweep_readings", "calibration.tool_events",
              "calibration.session", "calibration.lag", "calibration.lag_cli"),
    # I/O, threads and the wall clock: the daemon loop, the MQTT link, the decision recorder.
    "shell": ("regulation", "shell", "recording"),
    "regulator": ("core.regulator", "core.regulator_decision", "core.regulator_status", "core.regulator_topics",
                  "core.regulator_suspension", "core.regulator_timers", "core.life_cycle"),
    # The status document and its restore work on the RegulatorView the regulator hands them.
    "status": ("status",),
    # The config loader (it builds the loads, the field features' settings and the integrations' from one
    # file: its loads' building, the seed's relays listed as variable loads (seed_loads) and its topics' checks),
    # its checks of the built loads, and the configuration reference generated from the same option tables; the
    # devices' topics against the payloads and fields the built loads use (device_checks); the files the daemon
    # opens, none of them a load's calibration file (daemon_files).
    "config": ("settings.config", "settings.load_building", "settings.seed_loads", "settings.topic_checks",
               "settings.reference", "settings.load_checks", "settings.check_notes", "settings.device_checks",
               "settings.daemon_files"),
    "controller": ("core",),
    "field": ("field",),
    "integrations": ("integrations",),
    "equipments": ("equipments",),
    # Values and parsing: readings, boot messages, local time, option tables, the calibration curve.
    "values": ("values", "settings", "calibration"),
}

# Which layers each layer may import besides its own. The controller and the field features are siblings
# under the regulator: neither imports the other.
_BELOW_REGULATOR = {"status", "config", "controller", "field", "integrations", "equipments", "values"}
MAY_IMPORT: dict[str, set[str]] = {
    "tools": {"shell", "regulator"} | _BELOW_REGULATOR,
    "shell": {"regulator"} | _BELOW_REGULATOR,
    "regulator": _BELOW_REGULATOR,
    "status": {"controller", "field", "integrations", "equipments", "values"},
    "config": {"field", "integrations", "equipments", "values"},
    "controller": {"equipments", "values"},
    "field": {"integrations", "equipments", "values"},
    "integrations": {"equipments", "values"},
    "equipments": {"values"},
    "values": set(),
}

_SKIPPED_DIRS = {"tests", "scripts", "docs"}


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every PySEB module (dotted name -> file), tests and hidden folders left out."""
    modules: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[0] in _SKIPPED_DIRS or any(part.startswith(".") for part in parts):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def layer_of(module: str) -> str | None:
    """The layer of `module`: the one whose longest listed name is `module` or a package holding it."""
    best: tuple[int, str] | None = None
    for layer, names in LAYERS.items():
        for name in names:
            if (module == name or module.startswith(name + ".")) and (best is None or len(name) > best[0]):
                best = (len(name), layer)
    return None if best is None else best[1]


def imported_modules(source: str, module: str, is_package: bool, known: set[str]) -> Iterator[tuple[int, str]]:
    """(line, module) for each PySEB module that `source` (the text of `module`) imports."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[:len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            # `from pkg import mod` imports the module pkg.mod; `from mod import name` the module mod.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in dict.fromkeys(targets):
            while target and target not in known:  # `import a.b.c` of a name inside a module
                target = target.rpartition(".")[0]
            if target and target.split(".")[0] in {name.split(".")[0] for name in known}:
                yield node.lineno, target


def import_graph(root: Path = ROOT) -> dict[str, list[tuple[int, str]]]:
    """module -> [(line, imported module)] over the whole project."""
    modules = project_modules(root)
    known = set(modules)
    return {module: list(imported_modules(path.read_text(encoding="utf-8"), module, path.name == "__init__.py",
                                          known))
            for module, path in modules.items()}


def layer_violations(graph: dict[str, list[tuple[int, str]]], files: dict[str, Path]) -> list[str]:
    """One line per import that goes against MAY_IMPORT, naming the file, the line and both layers."""
    problems = []
    for module, imports in graph.items():
        layer = layer_of(module)
        if layer is None:
            problems.append(f"{files[module]}: module {module} is in no layer of tests/test_layers.py's LAYERS")
            continue
        for line, target in imports:
            target_layer = layer_of(target)
            if target_layer is None or target_layer == layer or target_layer in MAY_IMPORT[layer]:
                continue
            allowed = ", ".join(sorted(MAY_IMPORT[layer])) or "no other layer"
            problems.append(f"{files[module]}:{line}: {module} ({layer}) imports {target} ({target_layer}): "
                            f"the {layer} layer may import {allowed}")
    return problems


def import_cycles(graph: dict[str, list[tuple[int, str]]]) -> list[list[str]]:
    """Each group of modules that import each other, directly or round about (Tarjan's strongly connected
    components); a package importing its own submodules is not counted."""
    edges = {module: sorted({target for _, target in imports
                             if target != module and not target.startswith(module + ".")})
             for module, imports in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges.get(module, ()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return cycles


def test_every_import_goes_down_the_layers() -> None:
    files = {module: path.relative_to(ROOT) for module, path in project_modules().items()}
    problems = layer_violations(import_graph(), files)
    assert not problems, "imports against the layers (DESIGN.md, docs/architecture.md):\n" + "\n".join(problems)


def test_no_module_imports_itself_round_about() -> None:
    cycles = import_cycles(import_graph())
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(group) for group in cycles)


def test_the_table_covers_what_it_names() -> None:
    modules = set(project_modules())
    assert set(MAY_IMPORT) == set(LAYERS)
    for layer, names in LAYERS.items():
        for name in names:
            assert any(m == name or m.startswith(name + ".") for m in modules), f"{layer}: {name} names no module"
    # The layers the issue names are all there and populated.
    for module, layer in [("regulation", "shell"), ("core.regulator", "regulator"), ("core.controller", "controller"),
                          ("field.features", "field"), ("equipments.variable", "equipments"),
                          ("values.readings", "values"), ("status.document", "status"),
                          ("calibration.fit", "values"), ("calibration.sweep_link", "tools")]:
        assert layer_of(module) == layer, module


def test_an_upward_import_is_named(tmp_path: Path) -> None:
    """The check itself: a load model reaching up into the regulator, and a status module importing the
    regulator that imports it back, are both caught and named."""
    (tmp_path / "core").mkdir()
    (tmp_path / "equipments").mkdir()
    (tmp_path / "status").mkdir()
    for package in ("core", "equipments", "status"):
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "core" / "regulator.py").write_text("from status.document import build\n")
    (tmp_path / "status" / "document.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from core.regulator import Regulator\n")
    (tmp_path / "equipments" / "variable.py").write_text("import json\n\ndef f():\n    from core import regulator\n")
    graph = import_graph(tmp_path)
    files = {module: path.relative_to(tmp_path) for module, path in project_modules(tmp_path).items()}
    problems = layer_violations(graph, files)
    assert any(p.startswith("equipments/variable.py:4: equipments.variable (equipments) imports core.regulator "
                            "(regulator)") for p in problems), problems
    assert any(p.startswith("status/document.py:3: status.document (status) imports core.regulator") for p in problems)
    assert import_cycles(graph) == [["core.regulator", "status.document"]]
