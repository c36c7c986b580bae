import { useState } from 'react';
import { describeError } from '../messages.js';

export default function Header({ api, t, user, page, admin = false, onSignedOut }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function signOut(path) {
    setBusy(true);
    setError(null);
    try {
      await api.post(path);
      onSignedOut();
    } catch (failure) {
      // 401: the session was already over (the client has sent the user to sign in).
      if (failure?.response?.status !== 401) setError(describeError(failure, t));
      setBusy(false);
    }
  }

  return (
    <header className="bar">
      <span className="brand">{t.title}</span>
      <nav aria-label={t.title}>
        <a href="#/plans" aria-current={page === 'plans' ? 'page' : undefined}>
          {t.plans}
        </a>
        <a href="#/sessions" aria-current={page === 'sessions' ? 'page' : undefined}>
          {t.sessions}
        </a>
        <a href="#/security" aria-current={page === 'security' ? 'page' : undefined}>
          {t.security}
        </a>
        <a href="#/settings" aria-current={page === 'settings' ? 'page' : undefined}>
          {t.settings}
        </a>
        {admin && (
          <a href="#/admin" aria-current={page === 'admin' ? 'page' : undefined}>
            {t.admin}
          </a>
        )}
      </nav>
      <span className="who">{t.signedInAs(user.email)}</span>
      <button type="button" disabled={busy} onClick={() => signOut('/auth/logout')}>
        {t.signOut}
      </button>
      <button type="button" className="secondary" disabled={busy} onClick={() => signOut('/auth/logout-all')}>
        {t.signOutEverywhere}
      </button>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </header>
  );
}
