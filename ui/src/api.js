// The one HTTP client of the UI: axios on authgate's cookie transport (API.md §3).
//
// Tokens never reach JavaScript: login and refresh use ?transport=cookie, so the
// access and refresh tokens travel only in HttpOnly cookies. Scripts read just the
// CSRF cookie, and echo it in X-CSRF-Token on unsafe methods (double submit). Its
// name is __Host-csrf_token with Secure cookies (the prefix keeps sibling subdomains
// from planting one), csrf_token on a plain-http development server.
//
// When the access cookie has expired (the browser then stops sending it: 401
// token_missing) or the token has (401 token_expired), the client refreshes once
// and retries. Refreshes are single-flight inside a tab (ten requests failing
// together share one refresh) and serialised across tabs with the Web Locks API;
// after taking the lock a tab checks whether the csrf cookie changed since its
// request was sent, which means another tab (or an earlier refresh here) already
// renewed the session, so it only retries. Without that, two tabs would present
// the same refresh token, and the second use of a rotated-out token revokes the
// whole session (RFC 9700 §4.14).

import axios from 'axios';

/** The CSRF cookie's names: Secure (the server's default) first, then plain http. */
export const CSRF_COOKIES = ['__Host-csrf_token', 'csrf_token'];
export const REFRESH_LOCK = 'authgate-refresh';
const UNSAFE_METHODS = new Set(['post', 'put', 'patch', 'delete']);
const REFRESHABLE = new Set(['token_expired', 'token_missing']);
const TOKEN_CODES = new Set(['token_expired', 'token_missing', 'token_revoked', 'token_invalid']);

/** The value of cookie `name` in `source` (document.cookie), or null. */
export function readCookie(name, source = globalThis.document?.cookie ?? '') {
  for (const part of source.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name && rest.length) return decodeURIComponent(rest.join('='));
  }
  return null;
}

/** The CSRF cookie's value in `source` (document.cookie), by its real name, or null. */
export function readCsrf(source = globalThis.document?.cookie ?? '') {
  for (const name of CSRF_COOKIES) {
    const value = readCookie(name, source);
    if (value !== null) return value;
  }
  return null;
}

/** Runs `task` holding the cross-tab lock `name` (Web Locks where the browser has them). */
export function webLock(name, task) {
  const locks = globalThis.navigator?.locks;
  // Web Locks exist in secure contexts (https, http://localhost); elsewhere a tab
  // still refreshes single-flight on its own.
  return locks ? locks.request(name, task) : task();
}

/** The error code of an axios error's authgate answer (`{"detail","code"}`), or null. */
export function errorCode(error) {
  return error?.response?.data?.code ?? null;
}

/** 401 answers about what the person typed (a password, a code), not the session. */
const WRONG_INPUT = new Set(['invalid_credentials', 'mfa_invalid']);

/**
 * Whether a failed request means the session is gone (a 401 that is not a wrong
 * password or code): the client has then already sent the user to sign in, so a
 * form shows no error of its own.
 */
export function sessionLost(error) {
  return error?.response?.status === 401 && !WRONG_INPUT.has(errorCode(error));
}

/**
 * Create the client.
 *
 * @param {object} options
 * @param {string} [options.language] sent as Accept-Language (server messages follow it)
 * @param {(reason: string|null) => void} [options.onSessionLost] called when the session
 *   is gone (refresh failed, token revoked): the UI goes to the sign-in page. The reason
 *   is an error code, or null when there never was a session in this browser.
 * @param {() => string|null} [options.csrf] reads the csrf cookie (tests replace it)
 * @param {(name: string, task: () => Promise<void>) => Promise<void>} [options.lock]
 * @param {Function} [options.adapter] axios adapter (tests replace the network)
 */
export function createClient({
  language = 'en',
  onSessionLost = () => {},
  csrf = () => readCsrf(),
  lock = webLock,
  adapter,
} = {}) {
  const api = axios.create({
    withCredentials: true,
    headers: { 'Accept-Language': language },
    ...(adapter ? { adapter } : {}),
  });

  api.interceptors.request.use((config) => {
    // Read at request time: every login and refresh renews the cookie.
    const token = csrf();
    config.csrfSeen = token;
    if (token && UNSAFE_METHODS.has(config.method)) config.headers.set('X-CSRF-Token', token);
    return config;
  });

  let refreshing = null;

  function refresh(seen) {
    if (!refreshing) {
      refreshing = lock(REFRESH_LOCK, async () => {
        if (csrf() !== seen) return; // renewed meanwhile, by another tab or this one
        await api.post('/auth/refresh', null, { params: { transport: 'cookie' }, isRefresh: true });
      })
        .catch((failure) => {
          // 401 refresh_invalid/refresh_reused or 403 csrf_failed: the session is over.
          // A network failure is not: the user stays where they are and may retry.
          const status = failure?.response?.status;
          if (status === 401 || status === 403) onSessionLost(errorCode(failure));
          throw failure;
        })
        .finally(() => {
          refreshing = null;
        });
    }
    return refreshing;
  }

  function retry(config) {
    config.isRetry = true;
    return api.request(config);
  }

  api.interceptors.response.use(undefined, async (error) => {
    const { config, response } = error;
    if (!config || config.isRefresh || config.isSignIn) throw error;
    const code = errorCode(error);
    // Another tab renewed the csrf cookie between reading it and sending: try again.
    if (response?.status === 403 && code === 'csrf_failed' && !config.isRetry) {
      if (csrf() !== config.csrfSeen) return retry(config);
    }
    if (response?.status !== 401 || !TOKEN_CODES.has(code)) throw error;
    if (!REFRESHABLE.has(code) || config.isRetry) {
      onSessionLost(code);
      throw error;
    }
    if (csrf() === null) {
      // No session cookie at all: never signed in here, or signed out.
      onSessionLost(null);
      throw error;
    }
    // Unchanged csrf cookie: no refresh happened since this request was sent.
    if (csrf() === config.csrfSeen) await refresh(config.csrfSeen);
    return retry(config);
  });

  return api;
}
