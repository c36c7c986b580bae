import { useId, useState } from 'react';
import { describeError } from '../messages.js';
import { useRemoteList } from '../useRemoteList.js';

/** The applications the user let sign them in through authgate; revoke one. */
export default function ConnectedApps({ api, t }) {
  const id = useId();
  const [error, setError] = useState(null);
  const [apps, setApps, load] = useRemoteList(api, '/auth/consents', t, setError);

  async function revoke(app) {
    setError(null);
    try {
      await api.delete(`/auth/consents/${encodeURIComponent(app.client_id)}`);
      setApps((list) => list.filter((a) => a.client_id !== app.client_id));
    } catch (failure) {
      if (failure?.response?.status === 401) return;
      setError(describeError(failure, t));
      await load();
    }
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
