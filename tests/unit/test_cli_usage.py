"""A command line that does not parse is one line on stderr, exit status 2 (API.md §5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from authgate.cli import app as cli


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUTHGATE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    monkeypatch.setenv("AUTHGATE_SECRET", "s" * 40)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        pytest.param(
            ["user", "create"],
            "error: Missing argument 'email' (see 'authgate user create --help')",
            id="missing-argument",
        ),
        pytest.param(
            ["nosuch"], "error: No such command 'nosuch' (see 'authgate --help')", id="command"
        ),
        pytest.param(
            ["user", "disable", "-bob@example.com"],
            "error: No such option: -b (see 'authgate user disable --help')",
            id="option-of-a-subcommand",
        ),
        pytest.param(
            ["--bogus"], "error: No such option: --bogus (see 'authgate --help')", id="root-option"
        ),
        pytest.param(
            ["serve", "--port", "abc"],
            "error: Invalid value for '--port': Input should be a valid integer, unable to"
            " parse string as an integer (see 'authgate serve --help')",
            id="bad-value",
        ),
        pytest.param(
            ["token", "decode", "a", "b"],
            "error: Got unexpected extra argument(s) (b) (see 'authgate token decode --help')",
            id="extra-argument",
        ),
        pytest.param(
            ["audit", "--since"],
            "error: Option '--since' requires an argument",
            id="option-without-its-value",
        ),
    ],
)
def test_a_command_line_that_does_not_parse_is_one_line(args: list[str], line: str) -> None:
    """Not Click's usage, hint and framed message: one `error:` line, nothing on stdout."""
    result = CliRunner().invoke(cli, args, prog_name="authgate")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [line]
    assert result.stdout == ""


@pytest.mark.parametrize("args", [[], ["user"], ["keys"]])
def test_a_bare_group_still_prints_its_help(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args, prog_name="authgate")
    assert "Usage: authgate" in result.output
    assert "Commands" in result.output
    assert "error:" not in result.output


def test_help_is_not_an_error() -> None:
    result = CliRunner().invoke(cli, ["user", "create", "--help"], prog_name="authgate")
    assert result.exit_code == 0
    assert "Usage: authgate user create" in result.stdout
    assert result.stderr == ""
