"""Human messages for the error codes, in English (default) and Korean."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "validation_error": "The request is not valid",
        "email_taken": "This email is already registered",
        "invalid_credentials": "Incorrect email or password",
        "account_disabled": "This account is disabled",
        "email_unverified": "Verify your email address first: follow the link we sent",
        "link_invalid": "This link is invalid or has expired; ask for a new one",
        "mfa_required": "Finish signing in with your second factor",
        "mfa_invalid": "The code is wrong, already used or expired",
        "mfa_exists": "An authenticator app is already set up",
        "mfa_missing": "No authenticator app is set up",
        "reauth_required": "Sign in again to confirm it is you",
        "passkey_invalid": "The passkey could not be verified",
        "too_many_attempts": "Too many attempts; try again later",
        "not_found": "Not found",
        "forbidden": "Not allowed",
        "csrf_failed": "CSRF check failed",
        "service_unavailable": "The service is temporarily unavailable",
        "refresh_invalid": "The refresh token is invalid or expired",
        "refresh_reused": "The refresh token was already used; the session has been revoked",
        "token_missing": "No token",
        "token_expired": "The token has expired",
        "token_revoked": "The token has been revoked",
        "token_invalid": "Invalid token",
        "method_not_allowed": "Method not allowed",
        "payload_too_large": "The request body is too large",
        "bad_request": "The request cannot be processed",
        "internal_error": "Internal error",
    },
    "ko": {
        "validation_error": "요청이 올바르지 않습니다",
        "email_taken": "이미 가입된 이메일입니다",
        "invalid_credentials": "이메일 또는 비밀번호가 틀렸습니다",
        "account_disabled": "비활성화된 계정입니다",
        "email_unverified": "먼저 이메일 주소를 인증해 주세요. 보내 드린 링크를 열어 주세요",
        "link_invalid": "링크가 올바르지 않거나 만료됐습니다. 새 링크를 요청해 주세요",
        "mfa_required": "추가 인증 수단으로 로그인을 마쳐 주세요",
        "mfa_invalid": "코드가 틀렸거나 이미 사용됐거나 만료됐습니다",
        "mfa_exists": "인증 앱이 이미 설정되어 있습니다",
        "mfa_missing": "설정된 인증 앱이 없습니다",
        "reauth_required": "본인 확인을 위해 다시 로그인해 주세요",
        "passkey_invalid": "패스키를 확인하지 못했습니다",
        "too_many_attempts": "시도 횟수가 너무 많습니다. 잠시 후 다시 시도하세요",
        "not_found": "찾을 수 없습니다",
        "forbidden": "허용되지 않습니다",
        "csrf_failed": "CSRF 검증에 실패했습니다",
        "service_unavailable": "서비스를 일시적으로 사용할 수 없습니다",
        "refresh_invalid": "리프레시 토큰이 유효하지 않거나 만료됐습니다",
        "refresh_reused": "이미 사용된 리프레시 토큰입니다. 세션이 취소됐습니다",
        "token_missing": "토큰이 없습니다",
        "token_expired": "토큰이 만료됐습니다",
        "token_revoked": "취소된 토큰입니다",
        "token_invalid": "유효하지 않은 토큰입니다",
        "method_not_allowed": "허용되지 않는 메서드입니다",
        "payload_too_large": "요청 본문이 너무 큽니다",
        "bad_request": "요청을 처리할 수 없습니다",
        "internal_error": "내부 오류",
    },
}

#: Korean for the item messages of a 422 list (``detail[].msg``), by the item's
#: ``type`` (pydantic's error types, and the body checks of ``web/routes/_io.py``).
#: English keeps pydantic's own wording; a type not listed here gets the general
#: ``validation_error`` message. ``{name}`` fields come from the item's ``ctx``.
FIELD_MESSAGES: dict[str, dict[str, str]] = {
    "ko": {
        "missing": "필수 항목입니다",
        "string_type": "문자열이어야 합니다",
        "string_too_short": "{min_length}자 이상이어야 합니다",
        "string_too_long": "{max_length}자 이하여야 합니다",
        "bool_type": "true 또는 false여야 합니다",
        "bool_parsing": "true 또는 false여야 합니다",
        "model_attributes_type": "JSON 객체여야 합니다",
        "dict_type": "JSON 객체여야 합니다",
        "model_type": "JSON 객체여야 합니다",
        "json_invalid": "본문이 올바른 JSON이 아닙니다",
        "content_type": "application/json 본문이어야 합니다",
        "value_error": "값이 올바르지 않습니다",
        "uuid_parsing": "올바른 ID가 아닙니다",
        "uuid_type": "올바른 ID가 아닙니다",
        "int_parsing": "정수여야 합니다",
        "int_type": "정수여야 합니다",
        "extra_forbidden": "허용되지 않는 항목입니다",
    },
}


def field_message(
    error_type: str, english: str, context: dict[str, object] | None, language: str
) -> str:
    """One 422 item's message in ``language`` (``english`` is pydantic's own)."""
    table = FIELD_MESSAGES.get(language)
    if table is None:
        return english
    template = table.get(error_type)
    if template is None:
        return message("validation_error", language)
    try:
        return template.format(**(context or {}))
    except (KeyError, IndexError, ValueError):
        return message("validation_error", language)


LANGUAGES = tuple(MESSAGES)
DEFAULT_LANGUAGE = "en"


def message(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The message for ``code`` in ``language`` (English if either is unknown)."""
    table = MESSAGES.get(language, MESSAGES[DEFAULT_LANGUAGE])
    return table.get(code) or MESSAGES[DEFAULT_LANGUAGE].get(code, code)


def negotiate(accept_language: str | None) -> str:
    """Pick ``ko`` or ``en`` from an Accept-Language header (RFC 9110 §12.5.4)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for item in accept_language.split(",")[:20]:
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().split("-", 1)[0].lower()
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                continue
        if primary in MESSAGES and q > best_q:
            best, best_q = primary, q
    return best
