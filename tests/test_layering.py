"""The core stays pure: importing it loads no web framework, database or Redis."""

from __future__ import annotations

import subprocess
import sys

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
    from pathlib import Path

    import authgate

    root = Path(authgate.__file__).parent
    for path in (root / "storage").rglob("*.py"):
        assert "authgate.web" not in path.read_text(), path
    for path in (root / "web").rglob("*.py"):
        assert "authgate.storage" not in path.read_text(), path
