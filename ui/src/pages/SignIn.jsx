import { useState } from 'react';
import { checkSignIn, describeError } from '../messages.js';
import Credentials from './Credentials.jsx';

/** Sign in with cookies: the tokens go to HttpOnly cookies, never to this script. */
export async function signIn(api, email, password) {
  await api.post('/auth/login', { email, password }, { params: { transport: 'cookie' }, isSignIn: true });
  return (await api.get('/auth/me')).data;
}

export default function SignIn({ api, t, notice, onSignedIn }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function submit(email, password) {
    const problem = checkSignIn(email, password, t);
    setError(problem);
    if (problem) return;
    setBusy(true);
    try {
      onSignedIn(await signIn(api, email, password));
    } catch (failure) {
      setError(describeError(failure, t));
      setBusy(false);
    }
  }

  return (
    <main className="card">
      <h1>{t.signInHeading}</h1>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <Credentials t={t} submitLabel={t.signIn} busy={busy} error={error} onSubmit={submit} />
      <p className="forgot">
        <a href="#/forgot-password">{t.forgotPassword}</a>
      </p>
      <p className="switch">
        {t.needAccount} <a href="#/register">{t.toRegister}</a>
      </p>
    </main>
  );
}
