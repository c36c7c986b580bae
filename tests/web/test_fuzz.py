"""The HTTP API fuzzed from its own OpenAPI schema (schemathesis, on hypothesis).

Every operation of ``/openapi.json`` gets generated requests, valid and invalid
(schemathesis's examples, coverage and fuzzing phases), once without a token and once
with a fresh valid one; stateful scenarios follow the links schemathesis infers
between operations (create a plan, then read, change and delete it) as a signed-in
user; and the bodies the routes read by hand (login, refresh: the schema cannot
describe all they take) get raw bytes, JSON and forms of any shape under any
``Content-Type``. Each answer must be no 5xx, conform to the schema (status, content
type, body) and, for an error, be the contract's JSON ``{"detail", "code"}`` (API.md
§3).

The budget is fixed and the generation derandomized, so CI sends the same requests
every time (under a minute on two cores). ``AUTHGATE_FUZZ_EXAMPLES`` raises the
budget for a longer run before a release and ``AUTHGATE_FUZZ_SEED`` explores other
inputs: ``make fuzz``, docs/testing.md.
"""

from __future__ import annotations

import itertools
import json
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.python import asgi

from authgate.core.passwords import FAST_FOR_TESTS
from authgate.core.settings import Settings
from authgate.web.app import create_app
from authgate.web.gate import AuthGate
from tests.helpers import PASSWORD

#: Examples per operation for schemathesis's fuzzing phase (its coverage phase adds
#: its own deterministic cases), stateful scenarios, and raw bodies per route.
EXAMPLES = int(os.environ.get("AUTHGATE_FUZZ_EXAMPLES", "150"))
#: A seed chosen by hand makes the run random (another seed, other inputs).
SEED = os.environ.get("AUTHGATE_FUZZ_SEED")
DERANDOMIZE = SEED is None

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)

#: schemathesis's checks, less one that the schema cannot satisfy: a request the
#: schema allows may still be a 422 (an email that is not an address, a password
#: shorter than 8 characters, a blank plan title: the schema states only types and
#: maximum lengths).
EXCLUDED_CHECKS = ["positive_data_acceptance"]


def _config() -> Any:
    config: dict[str, Any] = {
        "generation": {"mode": "all", "deterministic": DERANDOMIZE, "database": "none"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
        },
        "checks": {name: {"enabled": False} for name in EXCLUDED_CHECKS},
    }
    if SEED is not None:
        config["seed"] = int(SEED)
    return schemathesis.Config.from_dict(config)


def assert_error_contract(status: int, content_type: str, content: bytes) -> None:
    """No 5xx; an error is JSON ``{"detail": str | list, "code": str}`` (API.md §3)."""
    assert status < 500, (status, content[:500])
    if status < 400:
        return
    media_type = content_type.split(";")[0].strip()
    assert media_type == "application/json", (status, media_type, content[:500])
    body = json.loads(content)
    assert isinstance(body, dict), body
    assert isinstance(body.get("code"), str) and body["code"], body
    assert isinstance(body.get("detail"), str | list), body


#: Answers the server gives before a route runs (an unknown method, a body too large).
FRAMEWORK_STATUSES = frozenset({405, 413})


def assert_oauth_error(status: int, content_type: str, content: bytes, path: str) -> None:
    """No 5xx; an error on ``/oauth/*`` is OAuth 2.0's JSON ``{"error",
    "error_description"}`` (API.md §3.4), or the authorization endpoint's plain 400
    page for a request it must not redirect."""
    assert status < 500, (status, content[:500])
    if status < 400:
        return
    media_type = content_type.split(";")[0].strip()
    if path == "/oauth/authorize" and status == 400:
        assert media_type == "text/html", (status, media_type)
        return
    if status in FRAMEWORK_STATUSES:  # answered before any route: the contract's shape
        assert_error_contract(status, content_type, content)
        return
    assert media_type == "application/json", (status, media_type, content[:500])
    body = json.loads(content)
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("error_description"), str), body


def error_contract(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """The contract as a schemathesis check."""
    content_type = response.headers.get("content-type", [""])[0]
    path = case.operation.path
    if path.startswith("/oauth/"):
        assert_oauth_error(response.status_code, content_type, response.content, path)
        return
    assert_error_contract(response.status_code, content_type, response.content)


class Users:
    """A new user for each request or scenario that needs one, so that nothing one
    did (log out everywhere, change the password) spoils the next."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.numbers = itertools.count()

    def credentials(self) -> dict[str, str]:
        """A registered user's email and password."""
        credentials = {"email": f"fuzz-{next(self.numbers)}@example.com", "password": PASSWORD}
        with asgi.get_client(self.app) as http:
            assert http.post("/auth/register", json=credentials).status_code == 201
        return credentials

    def tokens(self) -> dict[str, str]:
        """A new user's token response."""
        with asgi.get_client(self.app) as http:
            response = http.post("/auth/login", json=self.credentials())
        assert response.status_code == 200, response.text
        tokens: dict[str, str] = response.json()
        return tokens

    def token(self) -> str:
        return self.tokens()["access_token"]

    def cookies(self) -> dict[str, str]:
        """A new user's cookies from a cookie-transport login (refresh, access, CSRF)."""
        with asgi.get_client(self.app) as http:
            response = http.post("/auth/login?transport=cookie", json=self.credentials())
        assert response.status_code == 200, response.text
        return response.cookies.get_dict()


def _some_valid_emails(context: Any, case: schemathesis.Case) -> schemathesis.Case:
    """Half the valid registrations generated get a real address (the schema says
    only "a string", so nearly none would get past validation): the fuzzed passwords
    then reach hashing and storage, and repeated addresses reach ``email_taken``.
    Invalid requests (schemathesis's negative mode) are left as they are."""
    body = case.body
    if (
        case.operation.label == "POST /auth/register"
        and case.meta is not None
        and case.meta.generation.mode == schemathesis.GenerationMode.POSITIVE
        and isinstance(body, dict)
        and isinstance(body.get("email"), str)
    ):
        digest = zlib.crc32(body["email"].encode("utf-8", "surrogatepass"))
        if digest % 2 == 0:
            case.body = {**body, "email": f"user{digest % 1000}@example.com"}
    return case


@pytest.fixture
def fuzz_app(
    make_settings: Callable[..., Settings], request: pytest.FixtureRequest
) -> Iterator[FastAPI]:
    """A complete server on a fresh SQLite file (or, with
    ``AUTHGATE_FUZZ_DATABASE=postgres``, the test PostgreSQL database), with test
    password hashing and no rate limits, called in-process (ASGI) by schemathesis,
    which runs its lifespan (stopped at the end of the test)."""
    overrides = {}
    if os.environ.get("AUTHGATE_FUZZ_DATABASE") == "postgres":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    gate = AuthGate(make_settings(**overrides), password_params=FAST_FOR_TESTS)
    app = create_app(gate=gate)
    # The gate's own lifespan: create_app's adds gc.freeze(), for a server process.
    app.router.lifespan_context = gate.lifespan
    yield app
    asgi.shutdown_lifespans()


@pytest.fixture
def fuzz_schema(fuzz_app: FastAPI) -> Any:
    loaded = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app, config=_config())
    loaded.hook("map_case")(_some_valid_emails)
    return loaded


@pytest.fixture
def users(fuzz_app: FastAPI) -> Users:
    return Users(fuzz_app)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's ``from_fixture`` tests read and rewrite ``node._nodeid``,
    which pytest 9.2 no longer has (its node ids are structured): give it one."""
    request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_with_and_without_a_token(case: schemathesis.Case, users: Users) -> None:
    """For each generated request, first without a token, then with a valid one: no
    5xx, answers as the schema says, errors in the contract's shape."""
    case.call_and_validate(additional_checks=[error_contract])
    token = users.token()
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, additional_checks=[error_contract]
    )


def test_stateful_scenarios_as_a_signed_in_user(fuzz_schema: Any, users: Users) -> None:
    """Sequences of calls along the links between operations (a plan created, then
    read, changed, deleted; sessions listed, then revoked), each scenario as a new
    signed-in user."""
    answered: Counter[tuple[str, int]] = Counter()

    class SignedIn(fuzz_schema.as_state_machine()):
        def setup(self) -> None:
            self.token = users.token()

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {self.token}"}}

        def validate_response(
            self, response: schemathesis.Response, case: schemathesis.Case, **kwargs: Any
        ) -> None:
            answered[case.operation.label, response.status_code] += 1
            kwargs["additional_checks"] = [error_contract]
            super().validate_response(response, case, **kwargs)

    SignedIn.run(settings=settings(FUZZ_SETTINGS, stateful_step_count=10))
    # The scenarios reached the resources (links followed, token accepted).
    assert answered["POST /plans", 201] and answered["GET /plans/{plan_id}", 200], answered


# -- the bodies read by hand: any bytes, any JSON, any form, any Content-Type ----------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["email", "password", "username", "refresh_token", "title"])
            | st.text(max_size=8),
            inner,
            max_size=4,
        )
    ),
    max_leaves=8,
)
FIELDS = st.dictionaries(
    st.sampled_from(["username", "password", "email", "grant_type", "scope"]) | st.text(max_size=8),
    st.text(max_size=40),
    max_size=4,
)


def _multipart(fields: dict[str, str]) -> bytes:
    parts = [
        f'--xyz\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + "--xyz--\r\n").encode("utf-8", "surrogatepass")


BODIES = st.one_of(
    st.just(b""),
    st.binary(max_size=200),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    FIELDS.map(lambda fields: urlencode(fields, encoding="utf-8", errors="surrogatepass").encode()),
    FIELDS.map(_multipart),
)
COOKIE_CHARACTERS = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=";")
#: What a header value can carry: visible ASCII and Latin-1, inner spaces and tabs.
HEADER_VALUES = st.text(
    st.characters(codec="latin-1", exclude_categories=["Cc"]) | st.sampled_from(" \t"),
    max_size=80,
).map(str.strip)
#: The request headers the app reads besides the body's.
HEADERS = st.dictionaries(
    st.sampled_from(
        ["Accept-Language", "User-Agent", "Origin", "Sec-Fetch-Site", "Host", "X-CSRF-Token"]
    ),
    HEADER_VALUES
    | st.sampled_from(["ko", "ko-KR;q=0.9, en;q=0.1", "*", "cross-site", "same-origin", "null"]),
    max_size=3,
)
CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=latin-1",
        "application/problem+json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "multipart/form-data",
        "text/plain",
        "application/octet-stream",
        "application/json, text/plain",
    ]
)


#: The cookie names the routes read (prefixed, with Secure cookies, the default) and
#: the plain ones they must ignore.
COOKIE_NAMES = st.sampled_from(
    ["__Secure-refresh_token", "refresh_token", "__Host-csrf_token", "__Host-access_token"]
)
COOKIES = st.dictionaries(COOKIE_NAMES, st.text(COOKIE_CHARACTERS, max_size=60), max_size=2)


def _encoded(fields: dict[str, str], content_type: str | None) -> bytes:
    """``fields`` as the body ``content_type`` announces (JSON if it announces none;
    a login form names the email ``username``)."""
    media_type = (content_type or "").split(";")[0]
    if media_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return json.dumps(fields).encode()
    if "email" in fields:
        fields = {"username": fields["email"], "password": fields["password"]}
    if media_type == "multipart/form-data":
        return _multipart(fields)
    return urlencode(fields).encode()


@pytest.mark.parametrize("path", ["/auth/login", "/auth/refresh"])
def test_any_body_on_the_routes_that_read_their_own(
    fuzz_app: FastAPI, users: Users, path: str
) -> None:
    """Login and refresh parse their bodies themselves (JSON or a form; the refresh
    token may also come in its cookie): nothing sent to them, with or without valid
    credentials, under any transport, cookies and headers, is a 5xx or an error
    outside the contract."""

    @FUZZ_SETTINGS
    @given(
        body=BODIES,
        content_type=CONTENT_TYPES,
        transport=st.sampled_from([None, "cookie", "body", ""]),
        cookies=COOKIES,
        extra=HEADERS,
        valid=st.sampled_from([None, "body", "cookie"]),
    )
    def post(
        body: bytes,
        content_type: str | None,
        transport: str | None,
        cookies: dict[str, str],
        extra: dict[str, str],
        valid: str | None,
    ) -> None:
        # Valid credentials in the body (the user's, or a refresh token), or the
        # cookies of a signed-in browser (with its CSRF header, unless one is drawn).
        if valid == "body" and path == "/auth/login":
            body = _encoded(users.credentials(), content_type)
        elif valid == "body":
            body = _encoded({"refresh_token": users.tokens()["refresh_token"]}, content_type)
        elif valid == "cookie":
            cookies = {**cookies, **users.cookies()}
            extra = {"X-CSRF-Token": cookies["__Host-csrf_token"], **extra}
        headers = dict(extra)
        if content_type is not None:
            headers["Content-Type"] = content_type
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        params = {} if transport is None else {"transport": transport}
        with asgi.get_client(fuzz_app) as http:
            response = http.post(path, data=body, headers=headers, params=params)
        assert_error_contract(
            response.status_code, response.headers.get("content-type", ""), response.content
        )

    post()
