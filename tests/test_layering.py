"""The layers hold: the core loads no web framework, database or Redis and touches no
file; imports point one way (no cycle, none hidden in a function); one PyJWT importer."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import authgate

ROOT = Path(authgate.__file__).parent
#: File I/O a core module must not do (key files and the secret file are storage's).
FILE_IO = ("open(", ".read_bytes(", ".write_bytes(", ".read_text(", ".write_text(", "fcntl")

FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "redis", "aiosqlite", "asyncpg", "uvicorn")


def test_core_imports_no_web_or_storage_stack() -> None:
    """A fresh interpreter importing every core module has none of them loaded."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import authgate.core as core\n"
        "for m in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module(f'authgate.core.{m.name}')\n"
        "import authgate\n"
        f"print(sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout


def test_storage_and_web_do_not_import_each_other() -> None:
    """Dependencies point down: storage never imports web, web never imports storage."""
    root = ROOT
    for path in (root / "storage").rglob("*.py"):
        assert "authgate.web" not in path.read_text(), path
    for path in (root / "web").rglob("*.py"):
        assert "authgate.storage" not in path.read_text(), path


def _module_name(path: Path) -> str:
    parts = ("authgate", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The authgate modules ``path`` imports anywhere (in functions too), except
    under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found & modules


def test_imports_form_no_cycle() -> None:
    """No module reaches itself through imports, counting imports inside functions."""
    paths = {_module_name(path): path for path in ROOT.rglob("*.py")}
    modules = set(paths)
    graph = {name: _imports(path, modules) - {name} for name, path in paths.items()}
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            raise AssertionError(" -> ".join([*trail[trail.index(name) :], name]))
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_pyjwt_has_one_importer() -> None:
    """PyJWT is imported by core/jose.py alone (JWK and JWS formats)."""
    importers = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(name == "jwt" or name.startswith("jwt.") for name in names):
                importers.append(path.relative_to(ROOT).as_posix())
                break
    assert importers == ["core/jose.py"]


def test_core_does_no_file_io() -> None:
    """Key files and the secret file live in storage/; core/ reads and writes none."""
    for path in (ROOT / "core").rglob("*.py"):
        source = path.read_text()
        assert not [call for call in FILE_IO if call in source], path


CLOCK_READS = (
    "\nimport time\n",
    "\nfrom time import",
    "datetime.now(",
    "datetime.utcnow(",
    "date.today(",
)


def test_core_reads_no_clock() -> None:
    """Time comes into core/ as an argument or an injected clock (authgate.clock)."""
    for path in (ROOT / "core").rglob("*.py"):
        source = path.read_text()
        assert not [read for read in CLOCK_READS if read in source], path
