import { useId, useMemo, useState } from 'react';
import { useRemoteList } from '../useRemoteList.js';

const BROWSERS = [
  ['Edge', /Edg\/(\d+)/],
  ['Firefox', /Firefox\/(\d+)/],
  ['Chromium', /HeadlessChrome\/(\d+)/],
  ['Chrome', /Chrome\/(\d+)/],
  ['Safari', /Version\/(\d+).*Safari/],
];
const SYSTEMS = [
  ['Android', /Android/],
  ['iOS', /iPhone|iPad/],
  ['Windows', /Windows/],
  ['macOS', /Mac OS X/],
  ['Linux', /Linux/],
];

/** A short name for a User-Agent string ("Chrome 140 on Linux"), or the string itself. */
export function describeAgent(agent, unknown) {
  if (!agent) return unknown;
  const browser = BROWSERS.find(([, pattern]) => pattern.test(agent));
  if (!browser) return agent.length > 60 ? `${agent.slice(0, 57)}…` : agent;
  const version = agent.match(browser[1])[1];
  const system = SYSTEMS.find(([, pattern]) => pattern.test(agent));
  return system ? `${browser[0]} ${version} · ${system[0]}` : `${browser[0]} ${version}`;
}

export default function Sessions({ api, t, language, onSignedOut }) {
  const id = useId();
  const [error, setError] = useState(null);
  const format = useMemo(
    () => new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' }),
    [language],
  );

  const [sessions, , , remove] = useRemoteList(api, '/auth/sessions', t, setError);

  async function revoke(session) {
    const ended = await remove(`/auth/sessions/${session.id}`, (s) => s.id === session.id);
    if (ended && session.current) onSignedOut(); // the server cleared this browser's cookies
  }

  return (
    <section aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>{t.sessions}</h1>
      <p>{t.sessionsIntro}</p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {sessions === null ? (
        <p role="status">{t.loading}</p>
      ) : (
        <ul className="sessions" aria-label={t.sessions}>
          {[...sessions].sort((a, b) => b.current - a.current).map((session) => {
            const agent = describeAgent(session.user_agent, t.unknownAgent);
            return (
              <li key={session.id} className={session.current ? 'current' : undefined}>
                <span className="agent" title={session.user_agent}>
                  {agent}
                  {session.current && <strong className="badge">{t.thisDevice}</strong>}
                </span>
                <span className="when">
                  {t.created}: {format.format(new Date(session.created_at))} · {t.lastUsed}:{' '}
                  {format.format(new Date(session.last_used_at))}
                </span>
                <button type="button" className="link" aria-label={t.revokeNamed(agent)} onClick={() => revoke(session)}>
                  {t.revoke}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
