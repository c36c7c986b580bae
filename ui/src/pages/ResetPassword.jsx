import { useId, useState } from 'react';
import { errorCode } from '../api.js';
import { checkNewPassword, describeError } from '../messages.js';
import { forgetToken } from '../router.js';

/**
 * Set a new password with the token of a mailed link (#/reset-password?token=…). The
 * token goes to the server in the POST body only; once it is spent (or refused) it
 * leaves the address bar.
 */
export default function ResetPassword({ api, t, token, onDone }) {
  const id = useId();
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [dead, setDead] = useState(!token); // no token, or the server refused it

  async function submit(event) {
    event.preventDefault();
    const problem = checkNewPassword(password, t);
    setError(problem);
    if (problem) return;
    setBusy(true);
    try {
      await api.post('/auth/password/reset', { token, new_password: password });
      onDone(); // to sign in, replacing this history entry (and its token)
      return;
    } catch (failure) {
      if (errorCode(failure) === 'link_invalid') {
        setDead(true);
        forgetToken();
      } else {
        setError(describeError(failure, t, 'password'));
      }
    }
    setBusy(false);
  }

  return (
    // (No name for the section: it would be the heading's, "Set a new password", and
    // label lookups for the field match parts of names.)
    <section>
      <h1>{t.resetHeading}</h1>
      {dead ? (
        <>
          <p role="alert" className="error">
            {t.errors.link_invalid}
          </p>
          <p>
            <a href="#/forgot-password">{t.askNewLink}</a>
          </p>
        </>
      ) : (
        <form noValidate onSubmit={submit}>
          <label htmlFor={`${id}-password`}>{t.newPassword}</label>
          <input
            id={`${id}-password`}
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
            aria-invalid={error ? true : undefined}
            required
          />
          <p id={`${id}-hint`} className="hint">
            {t.passwordHint}
          </p>
          {error && (
            <p id={`${id}-error`} role="alert" className="error">
              {error}
            </p>
          )}
          <button type="submit" disabled={busy}>
            {t.setPassword}
          </button>
        </form>
      )}
    </section>
  );
}
