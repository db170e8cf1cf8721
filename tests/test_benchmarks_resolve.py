"""Every benchmark's imports of the package still resolve, including the ones inside functions.

Benchmarks are not run by the suite (timings never go into tests), so a moved or renamed core
function would otherwise break them silently until someone reruns a figure. This reads each
script's import statements, wherever they are, and resolves them against the installed package.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).parents[1] / "benchmarks").glob("*.py"))


def _package_imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for each `import`/`from ... import` of constitution_studio in the file."""
    out: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("constitution_studio"):
            out.append((node.lineno, str(node.module), [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name, []) for a in node.names if a.name.startswith("constitution_studio")]
    return out


def test_there_are_benchmarks_to_check() -> None:
    assert len(BENCHMARKS) >= 5


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.name)
def test_benchmark_imports_resolve(path: Path) -> None:
    problems = []
    for line, module, names in _package_imports(path):
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            problems.append(f"{path.name}:{line}: {module}: {exc}")
            continue
        for name in names:
            if not hasattr(mod, name):
                try:
                    importlib.import_module(f"{module}.{name}")
                except ImportError:
                    problems.append(f"{path.name}:{line}: {module} has no {name}")
    assert not problems, "\n".join(problems)
