import { useId, useState } from 'react';
import { sessionLost } from '../api.js';
import { checkEmailChange, describeError } from '../messages.js';

/** Ask for a new address: nothing changes until the link mailed to it is opened. */
export default function ChangeEmail({ api, t, user }) {
  const id = useId();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [sentTo, setSentTo] = useState(null);

  async function submit(event) {
    event.preventDefault();
    const problem = checkEmailChange(email, user.email, password, t);
    setError(problem);
    setSentTo(null);
    if (problem) return;
    setBusy(true);
    const newEmail = email.trim();
    try {
      await api.post('/auth/email', { new_email: newEmail, password });
      setSentTo(newEmail);
      setEmail('');
      setPassword('');
    } catch (failure) {
      if (!sessionLost(failure)) setError(describeError(failure, t, 'account'));
    }
    setBusy(false);
  }

  return (
    <section aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t.changeEmail}</h2>
      <p>{t.changeEmailIntro(user.email)}</p>
      <form noValidate onSubmit={submit}>
        <label htmlFor={`${id}-email`}>{t.newEmail}</label>
        <input
          id={`${id}-email`}
          type="email"
          autoComplete="email"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          aria-invalid={error ? true : undefined}
          required
        />
        <label htmlFor={`${id}-password`}>{t.currentPassword}</label>
        <input
          id={`${id}-password`}
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
          {t.changeEmail}
        </button>
      </form>
      {sentTo && (
        <p role="status" className="notice">
          {t.emailChangeSent(sentTo)}
        </p>
      )}
    </section>
  );
}
