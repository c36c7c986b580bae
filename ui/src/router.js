// Hash routes (#/plans, #/sessions, …): a reload asks the server for "/" only, and no
// UI route can collide with an API path such as /plans.

import { useEffect, useState } from 'react';
import { withoutToken } from './routes.js';

function current() {
  return window.location.hash.replace(/^#/, '') || '/';
}

/** The current route; re-renders on navigation. */
export function useRoute() {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** Go to `path` (a new history entry), or replace the current one. */
export function navigate(path, { replace = false } = {}) {
  if (current() === path) return;
  if (replace) {
    window.history.replaceState(null, '', `#${path}`);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = path;
  }
}

/**
 * Take a mailed link's token out of the address bar once it has been used: the
 * history entry is replaced, so neither the bar nor Back shows it again.
 */
export function forgetToken() {
  navigate(withoutToken(current()), { replace: true });
}
