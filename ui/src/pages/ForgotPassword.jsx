import { useId, useState } from 'react';
import { checkEmail, describeError } from '../messages.js';

/** Ask for a reset link. The answer is the same whether the address has an account. */
export default function ForgotPassword({ api, t }) {
  const id = useId();
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [sent, setSent] = useState(false);

  async function submit(event) {
    event.preventDefault();
    const problem = checkEmail(email, t);
    setError(problem);
    setSent(false);
    if (problem) return;
    setBusy(true);
    try {
      await api.post('/auth/password/forgot', { email: email.trim() });
      setSent(true);
    } catch (failure) {
      setError(describeError(failure, t, 'mail'));
    }
    setBusy(false);
  }

  return (
    <main className="card">
      <h1>{t.forgotHeading}</h1>
      <p>{t.forgotIntro}</p>
      <form noValidate onSubmit={submit}>
        <label htmlFor={`${id}-email`}>{t.email}</label>
        <input
          id={`${id}-email`}
          type="email"
          autoComplete="username"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          required
        />
        {error && (
          <p id={`${id}-error`} role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t.sendResetLink}
        </button>
      </form>
      {sent && (
        <p role="status" className="notice">
          {t.resetLinkSent}
        </p>
      )}
      <p className="switch">
        <a href="#/signin">{t.toSignIn}</a>
      </p>
    </main>
  );
}
