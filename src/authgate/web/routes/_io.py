"""Helpers shared by the routes: JSON bodies and answers, ids in paths."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from authgate.core.errors import NotFound
from authgate.core.models import is_uuid

M = TypeVar("M", bound=BaseModel)

_JSON = "application/json"
#: The headers of every answer that carries a token, a secret or codes.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def uuid_or_404(value: str, what: str) -> str:
    """``value`` if it is a lower-case UUID (the ids authgate makes); else 404: no
    such ``what`` can exist."""
    if not is_uuid(value):
        raise NotFound(f"not a {what} id")
    return value


def json_response(
    content: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON answer serialised by orjson (aware datetimes as ISO 8601, ``Z``)."""
    return Response(
        orjson.dumps(content, option=orjson.OPT_UTC_Z), status, headers=headers, media_type=_JSON
    )


def validate(model: type[M], data: Any) -> M:
    """Validate ``data`` into ``model``; failures become the usual 422."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_input=False)) from None


def content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def is_json(media_type: str) -> bool:
    return media_type == _JSON or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def read_json(request: Request, *, optional: bool = False) -> Any:
    """The JSON body of a request (None if empty and ``optional``).

    A body must be declared as JSON, as FastAPI requires of its own body parameters
    (its ``strict_content_type``): one without a ``Content-Type`` is refused too, so
    every route reads bodies alike.

    Raises:
        RequestValidationError: not JSON, or not declared as JSON.
    """
    body = await request.body()
    if not body.strip() and optional:
        return None
    if not is_json(content_type(request)):
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "expected an application/json body", "type": "content_type"}]
        )
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "the body is not valid JSON", "type": "json_invalid"}]
        ) from None
