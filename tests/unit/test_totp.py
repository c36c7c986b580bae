"""RFC 6238 codes and recovery codes, on an injected time (no clock is read)."""

from __future__ import annotations

import pyotp
import pytest

from authgate.core.mfa import new_recovery_codes, normalize_recovery_code, totp_step

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits, as pyotp.random_base32()
NOW = 1_800_000_015.0  # 15 s into a step


@pytest.mark.parametrize(("offset", "step"), [(-30, -1), (0, 0), (30, 1)])
def test_a_code_of_the_step_before_now_or_after_is_found(offset: int, step: int) -> None:
    code = pyotp.TOTP(SECRET).at(NOW + offset)
    assert totp_step(SECRET, code, NOW) == int(NOW) // 30 + step


@pytest.mark.parametrize("offset", [-60, 60, 3600])
def test_codes_two_steps_away_are_not(offset: int) -> None:
    assert totp_step(SECRET, pyotp.TOTP(SECRET).at(NOW + offset), NOW) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12a456", "\uff11" * 6, " 12345"])
def test_malformed_codes_are_not(code: str) -> None:
    assert totp_step(SECRET, code, NOW) is None


def test_an_unopenable_secret_matches_nothing() -> None:
    assert totp_step("", pyotp.TOTP(SECRET).at(NOW), NOW) is None


def test_rfc_6238_appendix_b_sha1_vector() -> None:
    """RFC 6238 Appendix B, SHA-1, T = 59 s: 94287082 (8 digits); our 6 are its last 6."""
    key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert pyotp.TOTP(key, digits=8).at(59) == "94287082"
    assert totp_step(key, "287082", 59) == 1


def test_recovery_codes() -> None:
    codes = new_recovery_codes()
    assert len(codes) == len(set(codes)) == 10
    assert all(len(c) == 11 and c[5] == "-" for c in codes)
    assert normalize_recovery_code(" ABCDE-fghij ") == "abcdefghij"
