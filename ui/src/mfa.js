// Second factors (issue 14): an authenticator app (TOTP, RFC 6238) and its recovery
// codes. The pure parts of the sign-in code step, the setup page and the "confirm
// it's you" step live here, so Vitest can check them without a browser.

import { errorCode } from './api.js';

/** Wrong codes after which the server ends an mfa token (it then refuses every code). */
export const MFA_TOKEN_ATTEMPTS = 5;
/** The name of the downloaded recovery codes. */
export const RECOVERY_CODES_FILE = 'authgate-recovery-codes.txt';

/**
 * The second step a refused login asks for: the 403 `mfa_required` answer of
 * `POST /auth/login` as `{ token, methods, expiresAt }` (expiresAt in ms, by `now`),
 * or null for any other failure.
 */
export function challengeOf(error, now = Date.now()) {
  const data = error?.response?.data;
  if (error?.response?.status !== 403 || data?.code !== 'mfa_required' || !data.mfa_token) return null;
  const methods = Array.isArray(data.methods) && data.methods.length ? data.methods : ['totp'];
  const seconds = Number(data.expires_in) > 0 ? Number(data.expires_in) : 300;
  return { token: data.mfa_token, methods, expiresAt: now + seconds * 1000 };
}

/**
 * Whether the challenge's token is over after `failures` wrong codes: the server
 * then answers every code with `mfa_invalid` (the same words as a wrong code), so
 * the page offers to start over with the password instead.
 */
export function challengeOver(challenge, failures, now = Date.now()) {
  return failures >= MFA_TOKEN_ATTEMPTS || now >= challenge.expiresAt;
}

/**
 * A typed code as the server takes it, or null when it cannot be one. An app's code
 * is 6 digits (spaces and dashes that people type or paste are dropped); a recovery
 * code is sent as typed, trimmed (the server knows its format).
 */
export function cleanCode(value, method) {
  const text = String(value ?? '').trim();
  if (method === 'totp') {
    const digits = text.replace(/[\s-]/g, '');
    return /^\d{6}$/.test(digits) ? digits : null;
  }
  return text && text.length <= 64 ? text : null;
}

/** A base32 secret in groups of four for typing it by hand: "ABCD EFGH IJ". */
export function groupSecret(secret) {
  const plain = String(secret ?? '').replace(/\s+/g, '');
  return plain.match(/.{1,4}/g)?.join(' ') ?? '';
}

/**
 * An SVG document as a `data:` URL for an <img>: the browser draws it as an image,
 * where no script or link in it can run (it is never put into the page as markup).
 */
export function svgDataUri(svg) {
  const bytes = new TextEncoder().encode(String(svg ?? ''));
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

/** The otpauth:// URI if it is one (a link for an app on this device), else null. */
export function otpauthLink(uri) {
  return typeof uri === 'string' && /^otpauth:\/\/totp\//i.test(uri) ? uri : null;
}

/** The text of the downloaded recovery codes file, one code a line. */
export function recoveryCodesText(codes, { t, email, date = new Date() }) {
  const created = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return [
    t.codesFileTitle,
    t.codesFileAccount(email),
    t.codesFileCreated(created),
    '',
    t.codesFileHelp,
    '',
    ...codes,
    '',
  ].join('\n');
}

/** Whether a failed request asks for a recent sign-in (403 `reauth_required`). */
export function needsReauth(error) {
  return error?.response?.status === 403 && errorCode(error) === 'reauth_required';
}

/** What `confirm` rejects with when the person cancels the "confirm it's you" step. */
export class ReauthCancelled extends Error {
  constructor() {
    super('re-authentication cancelled');
    this.name = 'ReauthCancelled';
  }
}

/**
 * Run `action`; if the server asks for a recent sign-in, wait for `confirm()` (the
 * person signs in again) and run it once more. A second `reauth_required`, any other
 * failure, and a cancelled confirmation (ReauthCancelled) reach the caller.
 */
export async function withReauth(action, confirm) {
  try {
    return await action();
  } catch (failure) {
    if (!needsReauth(failure)) throw failure;
    await confirm();
    return action();
  }
}

/**
 * The password step of a sign-in, in cookies: null when it signed in, or the
 * challenge of the second step (no cookie is set until the code is right).
 */
export async function loginWithPassword(api, email, password) {
  try {
    await api.post('/auth/login', { email, password }, { params: { transport: 'cookie' }, isSignIn: true });
    return null;
  } catch (failure) {
    const challenge = challengeOf(failure);
    if (challenge) return challenge;
    throw failure;
  }
}

/** The code step: an app code or a recovery code for the challenge's token. */
export async function loginWithCode(api, challenge, code) {
  await api.post(
    '/auth/login/mfa',
    { mfa_token: challenge.token, code },
    { params: { transport: 'cookie' }, isSignIn: true },
  );
}
