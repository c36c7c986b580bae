import { useCallback, useEffect, useId, useMemo, useState } from 'react';
import { dateFormat, formatWhen } from '../activity.js';
import { sessionLost } from '../api.js';
import { describeError } from '../messages.js';
import { usePagedList } from '../useRemoteList.js';
import EventList from './EventList.jsx';
import Question from './Question.jsx';
import { describeAgent } from './Sessions.jsx';

export const USER_EVENTS_PAGE = 20;

/**
 * One account as an admin sees it: its state, sessions, second factors and recent
 * events, and the actions on it. Disabling it, ending its sessions and removing its
 * second factors ask first (in the page); after each action the account is read again.
 */
export default function AdminUser({ api, t, userId, self, onChanged, onGone }) {
  const id = useId();
  const format = useMemo(() => dateFormat(), []);
  const [detail, setDetail] = useState(null);
  const [asking, setAsking] = useState(null); // null | 'disable' | 'sessions' | 'mfa'
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [status, setStatus] = useState(null);
  const path = `/admin/users/${encodeURIComponent(userId)}`;

  const failed = useCallback(
    (failure) => {
      if (sessionLost(failure)) return; // the client has gone to sign in
      if (failure?.response?.status === 404) onGone();
      else setError(describeError(failure, t, 'admin'));
    },
    [t, onGone],
  );

  const eventsError = useCallback((message) => setError(message), []);
  const params = useMemo(() => ({ user: userId, limit: USER_EVENTS_PAGE }), [userId]);
  const events = usePagedList(api, '/admin/events', 'events', params, t, eventsError, 'admin');
  const reloadEvents = events.reload;

  const load = useCallback(async () => {
    try {
      const fresh = (await api.get(path)).data;
      setDetail(fresh);
      onChanged(fresh);
    } catch (failure) {
      failed(failure);
    }
  }, [api, path, onChanged, failed]);

  useEffect(() => {
    load();
  }, [load]);

  async function act(request, done) {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      await request();
      setAsking(null);
      setStatus(done);
    } catch (failure) {
      setAsking(null);
      failed(failure);
      // Gone (the list takes over) or signed out (the client has gone to sign in).
      if (failure?.response?.status === 404 || sessionLost(failure)) return;
    } finally {
      setBusy(false);
    }
    await Promise.all([load(), reloadEvents()]);
  }

  const disable = () => act(() => api.post(`${path}/disable`), t.accountDisabledDone);
  const enable = () => act(() => api.post(`${path}/enable`), t.accountEnabledDone);
  const endSessions = () => act(() => api.delete(`${path}/sessions`), t.sessionsEndedDone);
  const removeFactors = () => act(() => api.delete(`${path}/mfa`), t.factorsRemovedDone);

  function ask(what) {
    setError(null);
    setStatus(null);
    setAsking(what);
  }

  const heading = detail?.email ?? t.loading;
  const idle = !busy && asking === null;
  return (
    <section aria-labelledby={`${id}-heading`} className="admin-user">
      <h2 id={`${id}-heading`}>{heading}</h2>
      {status && (
        <p role="status" className="notice">
          {status}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {detail && (
        <>
          <UserBadges t={t} user={detail} />
          <dl className="facts">
            <dt>{t.accountCreated}</dt>
            <dd>{formatWhen(format, detail.created_at)}</dd>
            <dt>{t.accountState}</dt>
            <dd>{detail.disabled ? t.disabledSince(formatWhen(format, detail.disabled_at, '—')) : t.active}</dd>
            <dt>{t.emailVerified}</dt>
            <dd>{detail.email_verified ? t.yes : t.no}</dd>
            <dt>{t.roles}</dt>
            <dd>{detail.roles?.length ? detail.roles.join(', ') : t.none}</dd>
            <dt>{t.secondFactors}</dt>
            <dd>{factorsText(detail.factors, t)}</dd>
          </dl>
          {detail.id === self?.id && <p className="hint">{t.thisIsYou}</p>}
          <div className="actions">
            {detail.disabled ? (
              <button type="button" disabled={!idle} onClick={enable}>
                {t.enableAccount}
              </button>
            ) : (
              <button type="button" className="danger" disabled={!idle} onClick={() => ask('disable')}>
                {t.disableAccount}
              </button>
            )}
            <button type="button" className="secondary" disabled={!idle} onClick={() => ask('sessions')}>
              {t.endAllSessions}
            </button>
            <button type="button" className="secondary" disabled={!idle} onClick={() => ask('mfa')}>
              {t.removeFactors}
            </button>
          </div>
          {asking === 'disable' && (
            <Question
              question={t.disableQuestion(detail.email)}
              yes={t.disableConfirm}
              no={t.cancel}
              danger
              busy={busy}
              onYes={disable}
              onNo={() => setAsking(null)}
            />
          )}
          {asking === 'sessions' && (
            <Question
              question={t.endSessionsQuestion(detail.email)}
              yes={t.endSessionsConfirm}
              no={t.cancel}
              danger
              busy={busy}
              onYes={endSessions}
              onNo={() => setAsking(null)}
            />
          )}
          {asking === 'mfa' && (
            <Question
              question={t.removeFactorsQuestion(detail.email)}
              yes={t.removeFactorsConfirm}
              no={t.cancel}
              danger
              busy={busy}
              onYes={removeFactors}
              onNo={() => setAsking(null)}
            />
          )}
          <section aria-labelledby={`${id}-sessions`}>
            <h3 id={`${id}-sessions`}>{t.sessionsOf(detail.sessions.length)}</h3>
            {detail.sessions.length === 0 ? (
              <p className="empty">{t.noSessions}</p>
            ) : (
              <ul className="sessions" aria-label={t.sessions}>
                {detail.sessions.map((session) => (
                  <li key={session.id}>
                    <span className="agent" title={session.user_agent}>
                      {describeAgent(session.user_agent, t.unknownAgent)}
                    </span>
                    <span className="when">
                      {t.created}: {formatWhen(format, session.created_at)} · {t.lastUsed}:{' '}
                      {formatWhen(format, session.last_used_at)} · {t.expires}: {formatWhen(format, session.expires_at)}
                      {session.amr?.length ? ` · ${session.amr.join(', ')}` : ''}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
      <section aria-labelledby={`${id}-events`}>
        <h3 id={`${id}-events`}>{t.recentActivity}</h3>
        <EventList t={t} label={t.eventsOf(detail?.email ?? '')} list={events} admin />
      </section>
    </section>
  );
}

/** "Authenticator app · Passkeys: Work laptop, Phone", or "None". */
export function factorsText(factors, t) {
  const parts = [];
  if (factors?.totp) parts.push(t.authenticatorApp);
  const passkeys = factors?.passkeys ?? [];
  if (passkeys.length) parts.push(`${t.passkeys}: ${passkeys.map((p) => p.name).join(', ')}`);
  return parts.length ? parts.join(' · ') : t.none;
}

/** Disabled, admin, second factor, unverified: what sets an account apart. */
export function UserBadges({ t, user }) {
  return (
    <span className="badges">
      {user.disabled && <span className="badge off">{t.disabledBadge}</span>}
      {(user.roles ?? []).map((role) => (
        <span key={role} className="badge">
          {role}
        </span>
      ))}
      {user.mfa && <span className="badge">{t.mfaBadge}</span>}
      {!user.email_verified && <span className="badge muted">{t.unverifiedBadge}</span>}
    </span>
  );
}
