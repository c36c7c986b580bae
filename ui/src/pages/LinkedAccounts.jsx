import { useId, useState } from 'react';
import { describeError } from '../messages.js';
import { useRemoteList } from '../useRemoteList.js';

/** Accounts at other providers that sign the user in; unlink one (not the last way in). */
export default function LinkedAccounts({ api, t }) {
  const id = useId();
  const [error, setError] = useState(null);
  const [linked, , , remove] = useRemoteList(api, '/auth/identities', t, setError);

  function unlink(identity) {
    const url = `/auth/identities/${encodeURIComponent(identity.provider)}`;
    return remove(
      url,
      (i) => i.provider === identity.provider,
      (failure) => (failure?.response?.status === 403 ? t.lastWayIn : describeError(failure, t)),
    );
  }

  if (!linked?.length && !error) return null;
  return (
    <section aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t.linkedAccounts}</h2>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <ul className="sessions" aria-label={t.linkedAccounts}>
        {(linked ?? []).map((identity) => (
          <li key={identity.provider}>
            <span className="agent">
              {identity.display_name} · {identity.email}
            </span>
            <button type="button" className="link" onClick={() => unlink(identity)}>
              {t.unlink}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
