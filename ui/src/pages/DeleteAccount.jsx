import { useEffect, useId, useRef, useState } from 'react';
import { sessionLost } from '../api.js';
import { describeError } from '../messages.js';

/** Delete the account, after the password and a second, explicit confirmation. */
export default function DeleteAccount({ api, t, onDeleted }) {
  const id = useId();
  const [password, setPassword] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const cancelButton = useRef(null);

  // The question gets the focus (on its harmless answer), so it is read out at once.
  useEffect(() => {
    if (confirming) cancelButton.current?.focus();
  }, [confirming]);

  function ask(event) {
    event.preventDefault();
    const problem = password ? null : t.errors.noPassword;
    setError(problem);
    setConfirming(!problem);
  }

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await api.delete('/auth/me', { data: { password } });
      onDeleted(); // the server cleared this browser's cookies
      return;
    } catch (failure) {
      if (sessionLost(failure)) return;
      setError(describeError(failure, t, 'account'));
      setConfirming(false);
    }
    setBusy(false);
  }

  return (
    <section aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{t.deleteAccount}</h2>
      <p>{t.deleteAccountIntro}</p>
      <form noValidate onSubmit={ask}>
        <label htmlFor={`${id}-password`}>{t.currentPassword}</label>
        <input
          id={`${id}-password`}
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => {
            setPassword(event.target.value);
            setConfirming(false);
          }}
          aria-invalid={error ? true : undefined}
          required
        />
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" className="danger" disabled={busy || confirming}>
          {t.deleteAccount}
        </button>
      </form>
      {confirming && (
        <div role="group" className="confirm" aria-labelledby={`${id}-question`}>
          <p id={`${id}-question`}>{t.deleteQuestion}</p>
          <button type="button" className="danger" disabled={busy} onClick={remove}>
            {t.deleteConfirm}
          </button>
          <button type="button" className="secondary" ref={cancelButton} disabled={busy} onClick={() => setConfirming(false)}>
            {t.cancel}
          </button>
        </div>
      )}
    </section>
  );
}
