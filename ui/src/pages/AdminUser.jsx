import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { dateFormat, formatWhen } from '../activity.js';
import { errorCode, sessionLost } from '../api.js';
import { describeError } from '../messages.js';
import { ReauthCancelled } from '../mfa.js';
import { ADMIN_ROLE, asksBeforeRemoving, checkRole, rolePath, typedRole } from '../roles.js';
import { usePagedList } from '../useRemoteList.js';
import { useReauth } from './ConfirmIdentity.jsx';
import EventList from './EventList.jsx';
import Question from './Question.jsx';
import { describeAgent } from './Sessions.jsx';

export const USER_EVENTS_PAGE = 20;

/**
 * One account as an admin sees it: its state, roles, sessions, second factors and
 * recent events, and the actions on it. Disabling it, ending its sessions, removing
 * its second factors and taking its role admin ask first (in the page); after each
 * action the account and its events are read again. A role the server refuses (422)
 * shows its message under the field; a refusal (403) shows the server's words. The
 * actions need a recent sign-in (403 `reauth_required`): the page then asks the admin
 * to confirm it's them, in place, and carries on.
 */
export default function AdminUser({ api, t, userId, self, onChanged, onGone }) {
  const id = useId();
  const format = useMemo(() => dateFormat(), []);
  const [detail, setDetail] = useState(null);
  const [asking, setAsking] = useState(null); // null | 'disable' | 'sessions' | 'mfa' | 'admin-role'
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [status, setStatus] = useState(null);
  const [roleText, setRoleText] = useState('');
  const [roleError, setRoleError] = useState(null);
  const roleInput = useRef(null);
  const [prompt, run] = useReauth({ api, t, email: self?.email });
  const path = `/admin/users/${encodeURIComponent(userId)}`;

  const failed = useCallback(
    (failure, subject = 'admin') => {
      if (sessionLost(failure)) return; // the client has gone to sign in
      if (failure?.response?.status === 404) onGone();
      else setError(describeError(failure, t, subject));
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

  /** Run an action, then read the account and its events again; whether it was done. */
  async function act(request, done, subject = 'admin') {
    setBusy(true);
    setError(null);
    setRoleError(null);
    setStatus(null);
    let ok = false;
    try {
      await run(request);
      setAsking(null);
      setStatus(done);
      ok = true;
    } catch (failure) {
      setAsking(null);
      if (failure instanceof ReauthCancelled) return false; // nothing was done
      // A role name the server refuses: its message goes under the field.
      if (subject === 'role' && errorCode(failure) === 'validation_error') {
        setRoleError(describeError(failure, t, subject));
      } else {
        failed(failure, subject);
      }
      // Gone (the list takes over) or signed out (the client has gone to sign in).
      if (failure?.response?.status === 404 || sessionLost(failure)) return false;
    } finally {
      setBusy(false);
    }
    await Promise.all([load(), reloadEvents()]);
    return ok;
  }

  const disable = () => act(() => api.post(`${path}/disable`), t.accountDisabledDone);
  const enable = () => act(() => api.post(`${path}/enable`), t.accountEnabledDone);
  const endSessions = () => act(() => api.delete(`${path}/sessions`), t.sessionsEndedDone);
  const removeFactors = () => act(() => api.delete(`${path}/mfa`), t.factorsRemovedDone);

  async function addRole(event) {
    event.preventDefault();
    const problem = checkRole(roleText, t);
    if (problem) {
      setError(null);
      setStatus(null);
      setRoleError(problem);
      roleInput.current?.focus();
      return;
    }
    const role = typedRole(roleText);
    const added = await act(() => api.post(`${path}/roles`, { role }), t.roleAddedDone(role), 'role');
    if (added) setRoleText('');
  }

  async function removeRole(role) {
    // Its button goes with the role: the focus goes back to the field.
    const removed = await act(() => api.delete(rolePath(path, role)), t.roleRemovedDone(role), 'role');
    if (removed) roleInput.current?.focus();
  }

  function ask(what) {
    setError(null);
    setRoleError(null);
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
      {prompt}
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
          <section aria-labelledby={`${id}-roles`}>
            <h3 id={`${id}-roles`}>{t.roles}</h3>
            {detail.roles?.length ? (
              <ul className="roles" aria-label={t.roles}>
                {detail.roles.map((role) => (
                  <li key={role}>
                    <span className="name">{role}</span>
                    <button
                      type="button"
                      className="secondary"
                      aria-label={t.removeRoleNamed(role)}
                      disabled={!idle}
                      onClick={() => (asksBeforeRemoving(role) ? ask('admin-role') : removeRole(role))}
                    >
                      {t.removeRole}
                    </button>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="empty">{t.noRoles}</p>
            )}
            {asking === 'admin-role' && (
              <Question
                question={t.removeAdminQuestion(detail.email)}
                yes={t.removeAdminConfirm}
                no={t.cancel}
                danger
                busy={busy}
                onYes={() => removeRole(ADMIN_ROLE)}
                onNo={() => setAsking(null)}
              />
            )}
            <form noValidate className="inline role-add" onSubmit={addRole}>
              <label htmlFor={`${id}-role`}>{t.role}</label>
              <input
                id={`${id}-role`}
                ref={roleInput}
                type="text"
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                value={roleText}
                aria-invalid={roleError ? 'true' : undefined}
                aria-describedby={roleError ? `${id}-role-error ${id}-role-hint` : `${id}-role-hint`}
                onChange={(event) => setRoleText(event.target.value)}
              />
              <button type="submit" disabled={!idle}>
                {t.addRole}
              </button>
              {roleError && (
                <p role="alert" id={`${id}-role-error`} className="error">
                  {roleError}
                </p>
              )}
              <p id={`${id}-role-hint`} className="hint">
                {t.roleHint}
              </p>
            </form>
          </section>
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
