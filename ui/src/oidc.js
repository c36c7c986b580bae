// The OpenID Connect pages' logic: carrying an authorization request (the query of
// /oauth/authorize) through sign-in and consent, and back to the server.

/** The authorization request of a route's parameters, as a query string. */
export function authorizationQuery(params) {
  return new URLSearchParams(params).toString();
}

/** Where the browser goes to resume the authorization request, signed in. */
export function resumeUrl(query) {
  return `/oauth/authorize?${query}`;
}

const RESUMED = 'authgate.oidc.resumed';
const LOOP_MS = 10_000;

/**
 * Whether resuming `query` now would go round in circles: the server sent the
 * browser back here within a few seconds of the last try (its sign-in cookie did not
 * reach /oauth/authorize). The first try is recorded and allowed.
 */
export function isLooping(query, storage = globalThis.sessionStorage, now = Date.now()) {
  let last = null;
  try {
    last = JSON.parse(storage?.getItem(RESUMED) ?? 'null');
  } catch {
    last = null;
  }
  if (last && last.query === query && now - last.at < LOOP_MS) return true;
  storage?.setItem(RESUMED, JSON.stringify({ query, at: now }));
  return false;
}

/** The scopes of a request that the consent page describes (openid, email). */
export function scopesOf(params) {
  const asked = String(params.get('scope') ?? '').split(/\s+/);
  return ['openid', 'email'].filter((scope) => asked.includes(scope));
}

/**
 * What a sign-in through another provider left in the sign-in route: its second step
 * (`mfa_token`, `methods`, `expires_in`, as the 403 mfa_required carries them) or the
 * code of its failure (`oidc_error`).
 */
export function upstreamOutcome(params, now = Date.now()) {
  const token = params.get('mfa_token');
  const challenge = token
    ? {
        token,
        methods: (params.get('methods') || 'totp').split(','),
        expiresAt: now + (Number(params.get('expires_in')) > 0 ? Number(params.get('expires_in')) : 300) * 1000,
      }
    : null;
  return { challenge, error: params.get('oidc_error') };
}
