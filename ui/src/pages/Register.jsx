import { useState } from 'react';
import { errorCode } from '../api.js';
import { checkNewAccount, describeError } from '../messages.js';
import Credentials from './Credentials.jsx';
import { signIn } from './SignIn.jsx';

export default function Register({ api, t, onSignedIn, onUnverified }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function submit(email, password) {
    const problem = checkNewAccount(email, password, t);
    setError(problem);
    if (problem) return;
    setBusy(true);
    try {
      await api.post('/auth/register', { email, password }, { isSignIn: true });
      onSignedIn(await signIn(api, email, password));
    } catch (failure) {
      // Created, but this server signs in verified addresses only: to sign in, with word
      // of the link that went out.
      if (errorCode(failure) === 'email_unverified') {
        onUnverified(email);
        return;
      }
      setError(describeError(failure, t));
      setBusy(false);
    }
  }

  return (
    <main className="card">
      <h1>{t.createAccountHeading}</h1>
      <Credentials
        t={t}
        submitLabel={t.createAccount}
        newPassword
        busy={busy}
        error={error}
        onSubmit={submit}
      />
      <p className="switch">
        {t.haveAccount} <a href="#/signin">{t.toSignIn}</a>
      </p>
    </main>
  );
}
