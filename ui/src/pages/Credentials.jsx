import { useId, useState } from 'react';

/** The email and password form of sign-in and create-account. */
export default function Credentials({ t, submitLabel, newPassword = false, busy, error, onSubmit, initialEmail = '' }) {
  const id = useId();
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState('');
  const errorId = `${id}-error`;

  return (
    <form
      noValidate
      aria-describedby={error ? errorId : undefined}
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit(email.trim(), password);
      }}
    >
      <label htmlFor={`${id}-email`}>{t.email}</label>
      <input
        id={`${id}-email`}
        type="email"
        autoComplete="username"
        value={email}
        onChange={(event) => setEmail(event.target.value)}
        aria-invalid={error ? true : undefined}
        required
      />
      <label htmlFor={`${id}-password`}>{t.password}</label>
      <input
        id={`${id}-password`}
        type="password"
        autoComplete={newPassword ? 'new-password' : 'current-password'}
        value={password}
        onChange={(event) => setPassword(event.target.value)}
        aria-describedby={newPassword ? `${id}-hint` : undefined}
        aria-invalid={error ? true : undefined}
        required
      />
      {newPassword && (
        <p id={`${id}-hint`} className="hint">
          {t.passwordHint}
        </p>
      )}
      {error && (
        <p id={errorId} role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {submitLabel}
      </button>
    </form>
  );
}
