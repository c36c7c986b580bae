import { useId, useState } from 'react';
import { useRemoteList } from '../useRemoteList.js';

/** The applications the user let sign them in through authgate; revoke one. */
export default function ConnectedApps({ api, t }) {
  const id = useId();
  const [error, setError] = useState(null);
  const [apps, , , remove] = useRemoteList(api, '/auth/consents', t, setError);

  function revoke(app) {
    const url = `/auth/consents/${encodeURIComponent(app.client_id)}`;
    return remove(url, (a) => a.client_id === app.client_id);
  }

  return (
    <section aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t.connectedApps}</h2>
      <p>{t.connectedAppsIntro}</p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {apps === null ? (
        <p role="status">{t.loading}</p>
      ) : apps.length === 0 ? (
        <p>{t.noConnectedApps}</p>
      ) : (
        <ul className="sessions" aria-label={t.connectedApps}>
          {apps.map((app) => (
            <li key={app.client_id}>
              <span className="agent">{app.name}</span>
              <button type="button" className="link" onClick={() => revoke(app)}>
                {t.revokeAccess}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
