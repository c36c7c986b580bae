// Which page a hash route shows, and the one-time tokens of mailed links.
//
// Routes are the part after "#": "/plans", "/reset-password?token=…". The links in
// authgate's mails carry their token in the fragment, so it never reaches a server's
// access log; the page sends it only in a POST body and then takes it out of the
// address bar (see forgetToken in router.js).

/** Pages of a signed-out visitor; the first is where other routes lead. */
export const SIGNED_OUT_PAGES = ['signin', 'register', 'forgot-password'];
/** Pages of a signed-in user; the first is where other routes lead. */
export const SIGNED_IN_PAGES = ['plans', 'sessions', 'security', 'settings', 'admin'];
/** Pages of mailed links: they work signed in or out. */
export const LINK_PAGES = ['reset-password', 'verify-email'];
/** Pages of an application's sign-in through authgate (OpenID Connect): signed out,
 * they show the sign-in form first. */
export const AUTHORIZE_PAGES = ['authorize', 'consent'];

/** `"/verify-email?token=abc"` → `{ path: "verify-email", params }` (URLSearchParams). */
export function parseRoute(route) {
  const text = String(route ?? '').replace(/^#/, '');
  const mark = text.indexOf('?');
  const path = (mark < 0 ? text : text.slice(0, mark)).replace(/^\/+|\/+$/g, '');
  const params = new URLSearchParams(mark < 0 ? '' : text.slice(mark + 1));
  return { path, params };
}

/** The page a route shows: its own if it belongs to the visitor's state, else the default. */
export function pageFor(path, signedIn) {
  if (LINK_PAGES.includes(path) || AUTHORIZE_PAGES.includes(path)) return path;
  const pages = signedIn ? SIGNED_IN_PAGES : SIGNED_OUT_PAGES;
  return pages.includes(path) ? path : pages[0];
}

/** The token of a mailed link's route, or null (missing or blank). */
export function tokenOf(route) {
  const token = parseRoute(route).params.get('token');
  return token && token.trim() ? token : null;
}

/** The route without its `token` parameter (other parameters stay). */
export function withoutToken(route) {
  const { path, params } = parseRoute(route);
  params.delete('token');
  const query = params.toString();
  return `/${path}${query ? `?${query}` : ''}`;
}

/**
 * The promise of `start()` for `key`, started at most once per `cache`: a link's
 * token is single-use, so a second POST (React StrictMode runs effects twice; a page
 * may mount again) must share the first one's answer instead of being refused.
 */
export function once(cache, key, start) {
  if (!cache.has(key)) cache.set(key, start());
  return cache.get(key);
}

/**
 * Whether a link's POST settled its token: it succeeded (`failure` undefined) or the
 * server refused it (a 4xx). After a network failure or a 5xx the same link may be
 * tried again, so its token stays.
 */
export function tokenSettled(failure) {
  if (!failure) return true;
  const status = failure.response?.status;
  return status !== undefined && status < 500;
}
