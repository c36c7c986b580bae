import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { describeError } from '../messages.js';
import { ReauthCancelled, loginWithPassword, withReauth } from '../mfa.js';
import { SecondStep } from './PasskeySignIn.jsx';

/**
 * "Confirm it's you": a sign-in again in the page (the password, then a code when
 * the account has an authenticator app) for an action the server allows only soon
 * after a sign-in (403 `reauth_required`). It is a normal cookie login while signed
 * in, so this browser's cookies become a fresh session's.
 */
export function ConfirmIdentity({ api, t, email, onConfirmed, onCancel }) {
  const id = useId();
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [challenge, setChallenge] = useState(null);
  const field = useRef(null);

  useEffect(() => {
    if (!challenge) field.current?.focus();
  }, [challenge]);

  async function submit(event) {
    event.preventDefault();
    if (!password) {
      setError(t.errors.noPassword);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const second = await loginWithPassword(api, email, password);
      setPassword('');
      if (second) setChallenge(second);
      else {
        onConfirmed();
        return;
      }
    } catch (failure) {
      setError(describeError(failure, t, 'account'));
    }
    setBusy(false);
  }

  return (
    <section aria-labelledby={`${id}-heading`} className="confirm-identity">
      <h3 id={`${id}-heading`}>{t.confirmHeading}</h3>
      {challenge ? (
        <SecondStep
          api={api}
          t={t}
          heading="h4"
          challenge={challenge}
          onVerified={onConfirmed}
          onStartOver={() => setChallenge(null)}
        />
      ) : (
        <>
          <p id={`${id}-intro`}>{t.confirmIntro}</p>
          <form noValidate onSubmit={submit} aria-describedby={`${id}-intro`}>
            {/* The account's address, for password managers (not shown). */}
            <input type="email" autoComplete="username" value={email} readOnly hidden />
            <label htmlFor={`${id}-password`}>{t.password}</label>
            <input
              id={`${id}-password`}
              ref={field}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              aria-invalid={error ? true : undefined}
              required
            />
            {error && (
              <p role="alert" className="error">
                {error}
              </p>
            )}
            <button type="submit" disabled={busy}>
              {t.confirm}
            </button>
          </form>
        </>
      )}
      <p className="code-options">
        <button type="button" className="text" onClick={onCancel}>
          {t.cancel}
        </button>
      </p>
    </section>
  );
}

/**
 * Actions that may need a recent sign-in: `run(action)` runs it and, on 403
 * `reauth_required`, shows the "confirm it's you" step (the returned `prompt`, to
 * be placed in the page) and runs the action once more after it. Cancelling rejects
 * with ReauthCancelled.
 *
 * @returns {[JSX.Element|null, (action: () => Promise<any>) => Promise<any>]}
 */
export function useReauth({ api, t, email }) {
  const [pending, setPending] = useState(null); // { resolve, reject } while asking

  const run = useCallback(
    (action) =>
      withReauth(action, () => new Promise((resolve, reject) => setPending({ resolve, reject }))),
    [],
  );

  const prompt = pending ? (
    <ConfirmIdentity
      api={api}
      t={t}
      email={email}
      onConfirmed={() => {
        setPending(null);
        pending.resolve();
      }}
      onCancel={() => {
        setPending(null);
        pending.reject(new ReauthCancelled());
      }}
    />
  ) : null;
  return [prompt, run];
}
