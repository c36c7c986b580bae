// Passkeys (WebAuthn, issue 14, API.md §3.2): adding one from the security page,
// signing in with one (passwordless, or as the second step after a password).
//
// The server speaks the JSON forms of WebAuthn Level 3: options with base64url
// strings where the browser wants bytes, and credentials as their toJSON(). Browsers
// that have PublicKeyCredential.parseCreationOptionsFromJSON /
// parseRequestOptionsFromJSON and credential.toJSON() (Chromium 129+, Firefox 119+,
// Safari 18.4+) convert both ways themselves; for the others, the small pure
// converters below do the same (Vitest checks them without a browser).

import { errorCode } from './api.js';
import { describeError, serverDetail } from './messages.js';

// -- base64url (RFC 4648 §5, no padding) ---------------------------------------------

/** Bytes (ArrayBuffer, a typed array or a DataView) as unpadded base64url. */
export function toBase64url(data) {
  const bytes =
    data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * A base64url string (padding optional) as an ArrayBuffer. Throws a TypeError for
 * anything else, as the browser's own parse functions do.
 */
export function fromBase64url(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new TypeError('not a base64url string');
  }
  const plain = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(plain + '='.repeat((4 - (plain.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

// -- the JSON forms, where the browser lacks them --------------------------------------

function descriptors(list) {
  return Array.isArray(list) ? list.map((item) => ({ ...item, id: fromBase64url(item.id) })) : list;
}

function withoutUndefined(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

/** PublicKeyCredentialCreationOptionsJSON → the options of navigator.credentials.create. */
export function creationOptionsFromJSON(json) {
  return withoutUndefined({
    ...json,
    challenge: fromBase64url(json.challenge),
    user: { ...json.user, id: fromBase64url(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  });
}

/** PublicKeyCredentialRequestOptionsJSON → the options of navigator.credentials.get. */
export function requestOptionsFromJSON(json) {
  return withoutUndefined({
    ...json,
    challenge: fromBase64url(json.challenge),
    allowCredentials: descriptors(json.allowCredentials),
  });
}

function optional(call) {
  try {
    return call();
  } catch {
    return undefined;
  }
}

/**
 * A PublicKeyCredential as its toJSON() would give it: RegistrationResponseJSON for
 * one from create(), AuthenticationResponseJSON for one from get().
 */
export function credentialToJSON(credential) {
  const { response } = credential;
  const json = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: optional(() => credential.getClientExtensionResults()) ?? {},
  };
  if (response.attestationObject) {
    const publicKey = optional(() => response.getPublicKey());
    const authenticatorData = optional(() => response.getAuthenticatorData());
    json.response = withoutUndefined({
      clientDataJSON: toBase64url(response.clientDataJSON),
      attestationObject: toBase64url(response.attestationObject),
      transports: optional(() => response.getTransports()) ?? [],
      publicKeyAlgorithm: optional(() => response.getPublicKeyAlgorithm()),
      publicKey: publicKey ? toBase64url(publicKey) : undefined,
      authenticatorData: authenticatorData ? toBase64url(authenticatorData) : undefined,
    });
  } else {
    json.response = {
      clientDataJSON: toBase64url(response.clientDataJSON),
      authenticatorData: toBase64url(response.authenticatorData),
      signature: toBase64url(response.signature),
      userHandle: response.userHandle ? toBase64url(response.userHandle) : null,
    };
  }
  return withoutUndefined(json);
}

// -- the browser's own helpers first ---------------------------------------------------

function browserClass() {
  return globalThis.PublicKeyCredential;
}

/** Whether this browser can use passkeys at all (WebAuthn in a secure context). */
export function passkeysSupported(scope = globalThis) {
  return Boolean(scope.PublicKeyCredential && scope.navigator?.credentials?.create && scope.isSecureContext !== false);
}

/** The creation options of `json`, by the browser's parser where it has one. */
export function parseCreationOptions(json, PKC = browserClass()) {
  return typeof PKC?.parseCreationOptionsFromJSON === 'function'
    ? PKC.parseCreationOptionsFromJSON(json)
    : creationOptionsFromJSON(json);
}

/** The request options of `json`, by the browser's parser where it has one. */
export function parseRequestOptions(json, PKC = browserClass()) {
  return typeof PKC?.parseRequestOptionsFromJSON === 'function'
    ? PKC.parseRequestOptionsFromJSON(json)
    : requestOptionsFromJSON(json);
}

/** A credential as the server takes it: its own toJSON() where it has one. */
export function credentialJSON(credential) {
  return typeof credential?.toJSON === 'function' ? credential.toJSON() : credentialToJSON(credential);
}

// -- the ceremonies ---------------------------------------------------------------------

/** A ceremony that produced no credential (the browser answered null). */
export class NoCredential extends Error {
  constructor() {
    super('the browser returned no credential');
    this.name = 'NoCredential';
  }
}

function browserCredentials() {
  return globalThis.navigator?.credentials;
}

/**
 * Add a passkey: the options (needs a recent sign-in: `run` is the page's
 * "confirm it's you" wrapper), the browser's ceremony, then the credential with its
 * optional name. Resolves to the new passkey `{id, name, created_at, last_used_at}`.
 */
export async function registerPasskey(
  api,
  name,
  { run = (action) => action(), credentials = browserCredentials(), PKC = browserClass() } = {},
) {
  const options = (await run(() => api.post('/auth/passkeys/register/options'))).data;
  const credential = await credentials.create({ publicKey: parseCreationOptions(options, PKC) });
  if (!credential) throw new NoCredential();
  const body = { credential: credentialJSON(credential) };
  const trimmed = String(name ?? '').trim();
  if (trimmed) body.name = trimmed;
  return (await api.post('/auth/passkeys/register', body)).data;
}

/**
 * Sign in with a passkey, in cookies: passwordless (no `mfaToken`: any passkey of
 * this site the authenticator holds, with user verification), or the second step of
 * a password sign-in (`mfaToken` of the 403 mfa_required: that user's passkeys).
 */
export async function loginWithPasskey(
  api,
  { mfaToken = null, credentials = browserCredentials(), PKC = browserClass() } = {},
) {
  const { options, flow } = (
    await api.post('/auth/passkeys/login/options', mfaToken ? { mfa_token: mfaToken } : {}, { isSignIn: true })
  ).data;
  const credential = await credentials.get({ publicKey: parseRequestOptions(options, PKC) });
  if (!credential) throw new NoCredential();
  await api.post(
    '/auth/passkeys/login',
    { flow, credential: credentialJSON(credential) },
    { params: { transport: 'cookie' }, isSignIn: true },
  );
}

// -- what went wrong ----------------------------------------------------------------

/**
 * What a failed ceremony means, from the browser's DOMException (WebAuthn §5.1.3,
 * §5.1.4): 'cancelled' (the person closed the dialog, or it timed out: the browser
 * does not tell the two apart), 'exists' (this authenticator already has a passkey of
 * the account), 'wrong_site' (the page is not at the address the server expects),
 * 'unsupported', or null when the failure is not the browser's (a server answer).
 */
export function ceremonyProblem(error) {
  if (error instanceof NoCredential) return 'cancelled';
  switch (error?.name) {
    case 'NotAllowedError':
    case 'AbortError':
      return 'cancelled';
    case 'InvalidStateError':
      return 'exists';
    case 'SecurityError':
      return 'wrong_site';
    case 'NotSupportedError':
      return 'unsupported';
    default:
      return null;
  }
}

/**
 * The message of a failed passkey action: `{ text, calm }`; calm (a status, not an
 * alert) for a cancelled ceremony, which is the person's own choice.
 */
export function describePasskeyFailure(error, t) {
  const problem = ceremonyProblem(error);
  if (problem === 'cancelled') return { text: t.passkeyCancelled, calm: true };
  if (problem === 'exists') return { text: t.errors.passkeyExists, calm: false };
  if (problem === 'wrong_site') return { text: t.errors.passkeyWrongSite, calm: false };
  if (problem === 'unsupported') return { text: t.errors.passkeyUnsupported, calm: false };
  // Neither the browser's nor the network's: options the browser could not take.
  if (!error?.response && !error?.isAxiosError) {
    return { text: t.errors.unknown(error?.message ?? String(error)), calm: false };
  }
  if (errorCode(error) === 'passkey_invalid') {
    return { text: serverDetail(error) ?? t.errors.passkey_invalid, calm: false };
  }
  return { text: describeError(error, t, 'passkey'), calm: false };
}
