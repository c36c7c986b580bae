"""Passkeys (WebAuthn, with py_webauthn): register, list, rename, remove; sign in
with one passwordless (usernameless, discoverable credentials) or as the second step
of a password sign-in (API.md §3.2).

The relying party is the host of AUTHGATE_PUBLIC_URL and the origin must be its
origin. Every challenge is single use and lives 5 minutes. A signature counter that
does not move forward (a cloned authenticator, a replay) is refused and logged.
Passwordless sign-in needs user verification (a PIN or a biometric on the
authenticator): it then counts as two factors (``amr`` ``pop`` and ``mfa``).
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from authgate.core import webauthn_lib
from authgate.core.accounts import Accounts
from authgate.core.context import ServiceContext, to_datetime
from authgate.core.digests import token_digest
from authgate.core.errors import (
    AccountDisabled,
    EmailUnverified,
    MfaInvalid,
    NotFound,
    PasskeyInvalid,
    PasskeyNotRegistered,
)
from authgate.core.factor_ports import PasskeyStore
from authgate.core.mfa import Mfa
from authgate.core.models import Passkey, Principal, User, WebauthnFlow
from authgate.core.webauthn_lib import b64url, unb64url

log = logging.getLogger("authgate")


FLOW_SECONDS = 300
MAX_NAME_CHARS = 100


def _registration_key(challenge: bytes) -> str:
    return token_digest("register:" + b64url(challenge))


class Passkeys:
    """The passkey ceremonies over the ``PasskeyStore`` port."""

    def __init__(
        self, context: ServiceContext, accounts: Accounts, mfa: Mfa, store: PasskeyStore
    ) -> None:
        self.context = context
        self.accounts = accounts
        self.mfa = mfa
        self.store = store
        parts = urlsplit(context.settings.public_url)
        self.rp_id = parts.hostname or "localhost"
        self.origin = context.settings.public_origin

    # -- registering ----------------------------------------------------------------

    async def register_options(self, principal: Principal) -> dict[str, Any]:
        """Creation options for a new passkey of the caller (a recent sign-in needed)."""
        self.mfa.require_recent(principal)
        user = await self.accounts.me(principal)
        existing = await self.store.list(user.id)
        options = webauthn_lib.load().generate_registration_options(
            rp_id=self.rp_id,
            rp_name="authgate",
            user_name=user.email,
            user_id=user.id.encode(),
            authenticator_selection=webauthn_lib.load().AuthenticatorSelectionCriteria(
                resident_key=webauthn_lib.load().ResidentKeyRequirement.PREFERRED,
                user_verification=webauthn_lib.load().UserVerificationRequirement.PREFERRED,
            ),
            exclude_credentials=[
                webauthn_lib.load().PublicKeyCredentialDescriptor(id=unb64url(p.credential_id))
                for p in existing
            ],
            timeout=FLOW_SECONDS * 1000,
        )
        await self._start_flow(
            _registration_key(options.challenge), "register", options.challenge, user.id
        )
        return dict(json.loads(webauthn_lib.load().options_to_json(options)))

    async def register(self, principal: Principal, credential: Any, name: str | None) -> Passkey:
        """Store the passkey the browser created for the caller's options.

        Raises:
            PasskeyInvalid: not an answer to a live challenge of the caller's, or the
                attestation does not verify.
        """
        user = await self.accounts.me(principal)
        challenge = _client_challenge(credential)
        now = self.context.clock()
        flow = await self.store.take_flow(_registration_key(challenge), to_datetime(now))
        if flow is None or flow.kind != "register" or flow.user_id != user.id:
            raise PasskeyNotRegistered("no such registration in flight")
        try:
            verified = webauthn_lib.load().verify_registration_response(
                credential=credential,
                expected_challenge=flow.challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
            )
        except (webauthn_lib.load().WebAuthnException, ValueError, TypeError, KeyError) as exc:
            raise PasskeyNotRegistered(f"registration does not verify: {exc}") from None
        passkey = Passkey(
            id=str(uuid.uuid4()),
            user_id=user.id,
            credential_id=b64url(verified.credential_id),
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            name=_clean_name(name) or "Passkey",
            created_at=to_datetime(now),
        )
        events = self.context.events
        events.note("passkey_added", user.id, passkey_id=passkey.id, name=passkey.name)
        if not await self.store.add(passkey):
            events.discard()
            raise PasskeyNotRegistered("this passkey is registered already")
        await events.flush()
        return passkey

    # -- managing -------------------------------------------------------------------

    async def list(self, principal: Principal) -> Sequence[Passkey]:
        user = await self.accounts.me(principal)
        return await self.store.list(user.id)

    async def rename(self, principal: Principal, passkey_id: str, name: str) -> Passkey:
        user = await self.accounts.me(principal)
        renamed = await self.store.rename(user.id, passkey_id, _clean_name(name) or "Passkey")
        if renamed is None:
            raise NotFound("no such passkey")
        return renamed

    async def delete(self, principal: Principal, passkey_id: str) -> None:
        """Remove one of the caller's passkeys (a recent sign-in needed).

        Raises:
            ReauthRequired, NotFound.
        """
        self.mfa.require_recent(principal)
        user = await self.accounts.me(principal)
        events = self.context.events
        events.note("passkey_removed", user.id, passkey_id=passkey_id)
        if not await self.store.delete(user.id, passkey_id):
            events.discard()
            raise NotFound("no such passkey")
        await events.flush()

    # -- signing in -----------------------------------------------------------------

    async def login_options(self, mfa_token: str | None) -> tuple[dict[str, Any], str]:
        """Request options and the flow that :meth:`login` takes: for anyone's
        discoverable passkey, or (with an ``mfa_token``) that sign-in's user's."""
        user_id = None
        token_hash = None
        allowed: list[Any] = []
        if mfa_token is not None:
            challenge = await self.mfa.live_challenge(mfa_token)
            user_id, token_hash = challenge.user_id, challenge.token_hash
            allowed = [
                webauthn_lib.load().PublicKeyCredentialDescriptor(id=unb64url(p.credential_id))
                for p in await self.store.list(user_id)
            ]
        options = webauthn_lib.load().generate_authentication_options(
            rp_id=self.rp_id,
            allow_credentials=allowed,
            # Passwordless needs it (the passkey is both factors); a second step not.
            user_verification=webauthn_lib.load().UserVerificationRequirement.PREFERRED
            if mfa_token is not None
            else webauthn_lib.load().UserVerificationRequirement.REQUIRED,
            timeout=FLOW_SECONDS * 1000,
        )
        flow = secrets.token_urlsafe(32)
        kind = "mfa" if mfa_token is not None else "login"
        await self._start_flow(token_digest(flow), kind, options.challenge, user_id, token_hash)
        return dict(json.loads(webauthn_lib.load().options_to_json(options))), flow

    async def verify_login(
        self, flow_token: str, credential: Any
    ) -> tuple[User, str, tuple[str, ...]]:
        """Check a sign-in assertion: the user, the password hash the session is
        opened against, and ``amr``.

        Raises:
            PasskeyInvalid: an unknown, used or expired flow; an unknown passkey; a
                signature, origin or counter that does not verify; no user
                verification on a passwordless sign-in.
            AccountDisabled, EmailUnverified: as at login.
        """
        now = self.context.clock()
        flow = await self.store.take_flow(token_digest(flow_token), to_datetime(now))
        if flow is None or flow.kind not in ("login", "mfa"):
            raise PasskeyInvalid("no such sign-in in flight")
        passkey = await self.store.by_credential(_credential_id(credential))
        if passkey is None or (flow.user_id is not None and passkey.user_id != flow.user_id):
            raise PasskeyInvalid("unknown passkey")
        try:
            verified = webauthn_lib.load().verify_authentication_response(
                credential=credential,
                expected_challenge=flow.challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
                credential_public_key=passkey.public_key,
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=flow.kind == "login",
            )
        except (webauthn_lib.load().WebAuthnException, ValueError, TypeError, KeyError) as exc:
            if "sign count" in str(exc).lower():
                log.warning("passkey %s of user %s: %s", passkey.id, passkey.user_id, exc)
            self.context.events.note("mfa_failed", passkey.user_id, method="passkey")
            await self.context.events.flush()
            raise PasskeyInvalid(f"assertion does not verify: {exc}") from None
        if not await self.store.used(passkey, verified.new_sign_count, to_datetime(now)):
            raise PasskeyInvalid("the passkey was used meanwhile")
        user = await self.context.users.by_id(passkey.user_id)
        if user is None:
            raise PasskeyInvalid("no such user")
        credential_hash = user.password_hash
        if flow.kind == "mfa":
            if flow.mfa_token_hash is None:
                raise PasskeyInvalid("no such sign-in in flight")
            try:
                credential_hash = await self.mfa.close(flow.mfa_token_hash)
            except MfaInvalid:
                raise PasskeyInvalid("the password sign-in ended meanwhile") from None
            return user, credential_hash, ("pwd", "pop", "mfa")
        if user.is_disabled:
            raise AccountDisabled()
        if self.context.settings.require_verified_email and not user.email_verified:
            raise EmailUnverified()
        return user, credential_hash, ("pop", "mfa")

    async def _start_flow(
        self,
        key_hash: str,
        kind: str,
        challenge: bytes,
        user_id: str | None,
        mfa_token_hash: str | None = None,
    ) -> None:
        now = to_datetime(self.context.clock())
        await self.store.open_flow(
            WebauthnFlow(
                key_hash=key_hash,
                kind=kind,  # type: ignore[arg-type]
                challenge=challenge,
                created_at=now,
                expires_at=now + timedelta(seconds=FLOW_SECONDS),
                user_id=user_id,
                mfa_token_hash=mfa_token_hash,
            )
        )


def _clean_name(name: str | None) -> str:
    if name is None:
        return ""
    return " ".join(name.replace("\x00", "").split())[:MAX_NAME_CHARS]


def _client_challenge(credential: Any) -> bytes:
    try:
        client_data = credential["response"]["clientDataJSON"]
        return bytes(webauthn_lib.load().parse_client_data_json(unb64url(client_data)).challenge)
    except (webauthn_lib.load().WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise PasskeyNotRegistered(f"malformed credential: {exc}") from None


def _credential_id(credential: Any) -> str:
    try:
        raw = credential["rawId"]
        return b64url(unb64url(raw))
    except (ValueError, TypeError, KeyError) as exc:
        raise PasskeyInvalid(f"malformed credential: {exc}") from None
