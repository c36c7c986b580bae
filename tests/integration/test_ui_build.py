"""The web UI's own checks: its Vitest unit tests, and a committed build that matches
``ui/`` (the wheel ships ``web/static`` as committed; CI tests a fresh build of ``ui/``,
so the two must not differ)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES, service_missing

REPO = Path(__file__).resolve().parents[2]
UI = REPO / "ui"
STATIC = "src/authgate/web/static"


def test_the_ui_client_unit_tests_pass() -> None:
    """Vitest: CSRF echo, single-flight refresh, the cross-tab lock, failed refreshes."""
    npm = shutil.which("npm")
    if npm is None or not (UI / "node_modules" / ".bin" / "vitest").exists():
        service_missing("npm with ui/node_modules", "run `npm ci` in ui/")
    result = subprocess.run(
        [npm, "test", "--", "--reporter=dot"],
        cwd=UI,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_committed_build_is_the_build_of_ui_sources() -> None:
    """After scripts/test-deps.sh rebuilt ui/ on a fresh clone, web/static is unchanged."""
    if not REQUIRE_SERVICES:
        pytest.skip("checked in CI, on a fresh clone (here web/static may hold a new build)")
    git = shutil.which("git")
    if git is None or not (REPO / ".git").exists():
        service_missing("git", "no git checkout")
    status = subprocess.run(
        [git, "status", "--porcelain", "--", STATIC],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert status == "", f"rebuild ui/ (npm run build) and commit {STATIC}:\n{status}"
