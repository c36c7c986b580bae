"""CSRF tokens derived from the pair (core/csrf.py)."""

from __future__ import annotations

from authgate.core import csrf
from authgate.core.refresh import new_refresh_token


def test_values_are_derived_per_pair_and_distinct() -> None:
    first, second = new_refresh_token(), new_refresh_token()
    jti = csrf.access_token_id(first)
    assert jti == csrf.access_token_id(first)
    assert len(jti) == 32 and int(jti, 16) >= 0
    assert jti != csrf.access_token_id(second)
    token = csrf.csrf_token(jti)
    assert token == csrf.csrf_token(jti)
    assert token not in (jti, first) and csrf.csrf_token(csrf.access_token_id(second)) != token


def test_matching_is_exact_and_takes_any_header_text() -> None:
    token = csrf.csrf_token(csrf.access_token_id(new_refresh_token()))
    assert csrf.csrf_matches(token, token)
    assert not csrf.csrf_matches(token, token[:-1])
    assert not csrf.csrf_matches(token, "")
    assert not csrf.csrf_matches(token, "\udcff é")  # undecodable header bytes
