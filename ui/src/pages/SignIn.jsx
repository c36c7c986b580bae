import { useState } from 'react';
import { checkSignIn, describeError } from '../messages.js';
import { loginWithPassword } from '../mfa.js';
import { PasskeyButton, SecondStep } from './PasskeySignIn.jsx';
import Credentials from './Credentials.jsx';
import ProviderButtons from './ProviderButtons.jsx';

async function me(api) {
  return (await api.get('/auth/me')).data;
}

/**
 * Sign in with cookies: the tokens go to HttpOnly cookies, never to this script.
 * For an account with an authenticator app this throws the 403 `mfa_required`
 * answer (the sign-in page asks for the code instead; see loginWithPassword).
 */
export async function signIn(api, email, password) {
  await api.post('/auth/login', { email, password }, { params: { transport: 'cookie' }, isSignIn: true });
  return me(api);
}

export default function SignIn({ api, t, notice, onSignedIn, initialChallenge = null }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [email, setEmail] = useState('');
  // The second step: the challenge of a 403 mfa_required (no cookie is set until the code).
  const [challenge, setChallenge] = useState(initialChallenge);

  async function submit(typedEmail, password) {
    const problem = checkSignIn(typedEmail, password, t);
    setError(problem);
    setEmail(typedEmail);
    if (problem) return;
    setBusy(true);
    try {
      const second = await loginWithPassword(api, typedEmail, password);
      if (second) {
        setChallenge(second);
        setBusy(false);
        return;
      }
      onSignedIn(await me(api));
    } catch (failure) {
      setError(describeError(failure, t));
      setBusy(false);
    }
  }

  if (challenge) {
    return (
      <main className="card">
        <SecondStep
          api={api}
          t={t}
          challenge={challenge}
          onVerified={async () => onSignedIn(await me(api))}
          onStartOver={() => {
            setChallenge(null);
            setError(null);
          }}
        />
      </main>
    );
  }

  return (
    <main className="card">
      <h1>{t.signInHeading}</h1>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <Credentials t={t} submitLabel={t.signIn} busy={busy} error={error} onSubmit={submit} initialEmail={email} />
      <PasskeyButton api={api} t={t} lead={<p className="or">{t.orWord}</p>} onSignedIn={async () => onSignedIn(await me(api))} />
      <ProviderButtons api={api} t={t} />
      <p className="forgot">
        <a href="#/forgot-password">{t.forgotPassword}</a>
      </p>
      <p className="switch">
        {t.needAccount} <a href="#/register">{t.toRegister}</a>
      </p>
    </main>
  );
}
