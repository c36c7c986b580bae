"""py_webauthn, loaded on first use, and the base64url of WebAuthn's JSON.

py_webauthn (with the ASN.1 and certificate parsers it pulls in) is ~8 MB of a
process's memory: it is imported by the first passkey ceremony, not at start-up,
so deployments that never see a passkey do not carry it.
"""

from __future__ import annotations

import base64
import functools
from types import SimpleNamespace


@functools.cache
def load() -> SimpleNamespace:
    """py_webauthn's functions and types, imported on first use."""
    import webauthn
    from webauthn import helpers
    from webauthn.helpers import exceptions, structs

    return SimpleNamespace(
        generate_authentication_options=webauthn.generate_authentication_options,
        generate_registration_options=webauthn.generate_registration_options,
        options_to_json=webauthn.options_to_json,
        verify_authentication_response=webauthn.verify_authentication_response,
        verify_registration_response=webauthn.verify_registration_response,
        parse_client_data_json=helpers.parse_client_data_json,
        WebAuthnException=exceptions.WebAuthnException,
        AuthenticatorSelectionCriteria=structs.AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor=structs.PublicKeyCredentialDescriptor,
        ResidentKeyRequirement=structs.ResidentKeyRequirement,
        UserVerificationRequirement=structs.UserVerificationRequirement,
    )


def b64url(data: bytes) -> str:
    """Base64url without padding (as WebAuthn's JSON writes bytes)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """Bytes from base64url with or without padding.

    Raises:
        ValueError, TypeError: not base64url text.
    """
    if not isinstance(text, str):
        raise TypeError("not a string")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
