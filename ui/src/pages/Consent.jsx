import { useEffect, useId, useState } from 'react';
import { describeError } from '../messages.js';
import { scopesOf } from '../oidc.js';

/**
 * A third-party application asks to sign the user in: what it will see, Allow or
 * Deny. The client's name comes from the server (never from the address bar).
 */
export default function Consent({ api, t, params, query }) {
  const id = useId();
  const [client, setClient] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const clientId = params.get('client_id') ?? '';

  useEffect(() => {
    let live = true;
    api
      .get(`/oauth/clients/${encodeURIComponent(clientId)}`)
      .then((response) => live && setClient(response.data))
      .catch(() => live && setError(t.consentUnknownApp));
    return () => {
      live = false;
    };
  }, [api, clientId, t]);

  async function decide(allow) {
    setBusy(true);
    setError(null);
    try {
      const response = await api.post('/auth/consents', { request: query, allow });
      window.location.assign(response.data.redirect_to);
    } catch (failure) {
      setError(describeError(failure, t));
      setBusy(false);
    }
  }

  if (!client) {
    return error ? (
      <p role="alert" className="error">
        {error}
      </p>
    ) : (
      <p role="status">{t.loading}</p>
    );
  }
  return (
    <section aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>{t.consentHeading(client.name)}</h1>
      <p>{t.consentIntro}</p>
      <ul>
        {scopesOf(params).map((scope) => (
          <li key={scope}>{t.scopes[scope]}</li>
        ))}
      </ul>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="button" disabled={busy} onClick={() => decide(true)}>
          {t.allow}
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={() => decide(false)}>
          {t.deny}
        </button>
      </div>
    </section>
  );
}
