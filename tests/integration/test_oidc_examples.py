"""The example relying parties sign in through a live authgate with their stock
OpenID Connect libraries: the basic RP-initiated flow (discovery → authorize →
token → userinfo), Python (Authlib) and Node (openid-client)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import service_missing
from tests.integration.conftest import Launcher
from tests.integration.oidc_parts import (
    NODE_EXAMPLE,
    node_rp,
    provider,
    python_rp,
    register_client,
    register_user,
    rp_port,
    sign_in_through,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def oidc_node_example() -> Path:
    """The Node relying party with its npm packages installed (``npm ci``)."""
    if (
        shutil.which("node") is None
        or not (NODE_EXAMPLE / "node_modules" / "openid-client").is_dir()
    ):
        service_missing(
            "Node.js and examples/oidc-node's npm packages (scripts/test-deps.sh runs npm ci)",
            "node_modules missing",
        )
    return NODE_EXAMPLE


@pytest.mark.parametrize(
    "public", [pytest.param(False, id="confidential"), pytest.param(True, id="public")]
)
def test_python_example_signs_in(launcher: Launcher, public: bool) -> None:
    """Authlib: discovery, authorize with PKCE, the code for tokens, the ID token
    verified from the JWKS, userinfo; under HS256 access tokens."""
    server = provider(launcher)
    port = rp_port()
    client = register_client(server, f"http://127.0.0.1:{port}/callback", public=public)
    register_user(server, "alice@example.com")
    rp = python_rp(launcher, server, port, client)
    page = sign_in_through(rp, server, "alice@example.com")
    assert page.status_code == 200, page.text + rp.output()
    assert "Signed in as alice@example.com" in page.text
    assert "&quot;email_verified&quot;: false" in page.text
    assert "&quot;amr&quot;: [\n    &quot;pwd&quot;" in page.text


def test_node_example_signs_in(launcher: Launcher, oidc_node_example: Path) -> None:
    """openid-client (Express): the same flow, against an ES256 authgate (ID tokens RS256)."""
    server = provider(launcher, algorithm="ES256")
    port = rp_port()
    client = register_client(server, f"http://127.0.0.1:{port}/callback")
    register_user(server, "bob@example.com")
    rp = node_rp(launcher, server, port, client, oidc_node_example)
    page = sign_in_through(rp, server, "bob@example.com")
    assert page.status_code == 200, page.text + rp.output()
    assert "Signed in as bob@example.com" in page.text
