"""The layers of docs/architecture.md, checked: no module imports a layer above its own."""

from __future__ import annotations

import ast
from pathlib import Path

import npscli

ROOT = Path(npscli.__file__).resolve().parent
BELOW = {
    "core": {"core"},
    "config": {"core"},
    "templating": {"core"},
    "io": {"io", "config", "core"},
    "store": {"store", "io", "config", "core"},
    "reports": {"reports", "io", "templating", "config", "core"},
    "services": {"services", "reports", "store", "io", "templating", "config", "core"},
}
THIRD_PARTY_NOT_IN_CORE = ("typer", "click", "rich", "sqlalchemy", "pandas", "numpy", "jinja2", "openpyxl")


def _layer(path: Path, root: Path = ROOT) -> str:
    return path.relative_to(root).parts[0].removesuffix(".py")


def _imports(path: Path):
    """(line, imported module) of every import in the file, at any depth (lazy imports count too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            if node.module == "npscli":
                for alias in node.names:
                    yield node.lineno, f"npscli.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def upward_imports(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        layer = _layer(path, root)
        allowed = BELOW.get(layer)
        if allowed is None:  # cli/, __main__, __init__: the top may import anything
            continue
        for line, module in _imports(path):
            parts = module.split(".")
            if parts[0] == "npscli" and len(parts) > 1 and parts[1] != "__version__" and parts[1] not in allowed:
                found.append(f"{path.relative_to(root)}:{line} ({layer}) imports {module}")
            if layer == "core" and parts[0] in THIRD_PARTY_NOT_IN_CORE:
                found.append(f"{path.relative_to(root)}:{line} (core) imports {module}")
    return found


def test_no_layer_imports_upward():
    assert upward_imports() == []


def test_the_check_sees_an_upward_import(tmp_path):
    """The check itself can fail: a core module importing the store, and one importing pandas, are caught."""
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "bad.py").write_text(
        "def f():\n    from npscli.store.engine import open_store\n    import pandas\n", encoding="utf-8"
    )
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "fine.py").write_text("from npscli.core import nps\n", encoding="utf-8")
    assert upward_imports(tmp_path) == [
        "core/bad.py:2 (core) imports npscli.store.engine",
        "core/bad.py:3 (core) imports pandas",
    ]


def test_no_sql_outside_the_store():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        if _layer(path) == "store":
            continue
        for _, module in _imports(path):
            if module.split(".")[0] == "sqlalchemy":
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []
