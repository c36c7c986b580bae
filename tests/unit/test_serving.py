"""`python -m authgate.serving`: its arguments and settings are checked again, and a
problem is one line and a non-zero status, never a traceback."""

from __future__ import annotations

import pytest

from authgate import serving


@pytest.mark.parametrize(
    "argv",
    [[], ["127.0.0.1", "8000", "1"], ["127.0.0.1", "port", "1", "0"], ["h", "1", "two", "0"]],
)
def test_bad_arguments_print_the_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert serving.main(argv) == 2
    assert capsys.readouterr().err.strip() == serving.USAGE


def test_a_bad_setting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTHGATE_SECRET", "short")
    assert serving.main(["127.0.0.1", "8000", "1", "0"]) == serving.EXIT_CONFIG
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: AUTHGATE_SECRET: must be at least 32 bytes"
    ]


def test_exec_fresh_returns_where_there_is_no_interpreter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.executable", "")
    serving.exec_fresh(host="127.0.0.1", port=8000, workers=1, access_log=False)  # no exec
