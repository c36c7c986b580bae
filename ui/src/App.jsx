import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createClient } from './api.js';
import { DICTIONARIES, browserLanguage } from './i18n.js';
import { navigate, useRoute } from './router.js';
import { authorizationQuery, upstreamOutcome } from './oidc.js';
import { AUTHORIZE_PAGES, pageFor, parseRoute, tokenOf } from './routes.js';
import Admin from './pages/Admin.jsx';
import Authorize from './pages/Authorize.jsx';
import Consent from './pages/Consent.jsx';
import ForgotPassword from './pages/ForgotPassword.jsx';
import Header from './pages/Header.jsx';
import Plans from './pages/Plans.jsx';
import Register from './pages/Register.jsx';
import ResetPassword from './pages/ResetPassword.jsx';
import Security from './pages/Security.jsx';
import Sessions from './pages/Sessions.jsx';
import Settings from './pages/Settings.jsx';
import SignIn from './pages/SignIn.jsx';
import VerifyBanner from './pages/VerifyBanner.jsx';
import VerifyEmail from './pages/VerifyEmail.jsx';

export default function App() {
  const language = useMemo(browserLanguage, []);
  const t = DICTIONARIES[language];
  const route = useRoute();
  const [user, setUser] = useState(undefined); // undefined: not known yet; null: signed out
  const [notice, setNotice] = useState(null);

  const signedOut = useCallback((message = null) => {
    setUser(null);
    setNotice(message);
  }, []);

  // The user's own doing (sign out, a new password, a deleted account): to sign in,
  // replacing the current history entry (which may hold a mailed link's token).
  const toSignIn = useCallback(
    (message = null) => {
      navigate('/signin', { replace: true });
      signedOut(message);
    },
    [signedOut],
  );

  // The client outlives renders; it reaches the latest callback through a ref.
  const onSessionLost = useRef(null);
  onSessionLost.current = (reason) =>
    signedOut(reason === 'token_revoked' ? t.revoked : reason ? t.expired : null);
  const api = useMemo(
    () => createClient({ language, onSessionLost: (reason) => onSessionLost.current(reason) }),
    [language],
  );

  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);

  useEffect(() => {
    let live = true;
    api
      .get('/auth/me')
      .then((response) => live && setUser(response.data))
      .catch(() => live && setUser((known) => (known === undefined ? null : known)));
    return () => {
      live = false;
    };
  }, [api]);

  // Whether the user may use the admin page: the server decides from its database on
  // every admin call (the roles claim is in the HttpOnly access cookie), so ask it once
  // per signed-in user; any refusal (403 forbidden) hides the link.
  const [admin, setAdmin] = useState(false);
  const userId = user?.id ?? null;
  useEffect(() => {
    let live = true;
    setAdmin(false);
    if (userId) {
      api
        .get('/admin/users', { params: { limit: 1 } })
        .then(() => live && setAdmin(true))
        .catch(() => live && setAdmin(false));
    }
    return () => {
      live = false;
    };
  }, [api, userId]);

  // After a verification: the banner goes, a changed address shows (a 401 is the client's).
  const reloadUser = useCallback(async () => {
    try {
      const me = (await api.get('/auth/me')).data;
      setUser((known) => (known ? me : known));
    } catch {
      // signed out meanwhile, or offline: what is shown stays
    }
  }, [api]);

  const signedIn = useCallback((me) => {
    setNotice(null);
    setUser(me);
  }, []);

  const { path, params } = parseRoute(route);
  const page = user === undefined ? null : pageFor(path, Boolean(user));
  useEffect(() => {
    if (page && page !== path) navigate(`/${page}`, { replace: true });
  }, [page, path]);

  if (user === undefined) {
    return (
      <main className="card">
        <p role="status">{t.loading}</p>
      </main>
    );
  }

  const token = tokenOf(route);
  const linkPage =
    page === 'reset-password' ? (
      <ResetPassword api={api} t={t} token={token} onDone={() => toSignIn(t.passwordReset)} />
    ) : page === 'verify-email' ? (
      <VerifyEmail api={api} t={t} token={token} signedIn={Boolean(user)} onVerified={reloadUser} />
    ) : null;

  if (AUTHORIZE_PAGES.includes(page)) {
    // An application's sign-in: the sign-in form first, then on to the app (or its consent).
    if (!user) return <SignIn api={api} t={t} notice={notice ?? t.signInToContinue} onSignedIn={signedIn} />;
    const query = authorizationQuery(params);
    return (
      <main className="card">
        {page === 'consent' ? <Consent api={api} t={t} params={params} query={query} /> : <Authorize t={t} query={query} />}
      </main>
    );
  }

  if (!user) {
    if (linkPage) return <main className="card">{linkPage}</main>;
    if (page === 'register') {
      return <Register api={api} t={t} onSignedIn={signedIn} onUnverified={(email) => toSignIn(t.registeredVerify(email))} />;
    }
    if (page === 'forgot-password') return <ForgotPassword api={api} t={t} />;
    const upstream = upstreamOutcome(params);
    const upstreamNotice = upstream.error ? (t.upstreamErrors[upstream.error] ?? t.upstreamErrors.failed) : null;
    return (
      <SignIn
        key={upstream.challenge?.token ?? 'signin'}
        api={api}
        t={t}
        notice={upstreamNotice ?? notice}
        onSignedIn={signedIn}
        initialChallenge={upstream.challenge}
      />
    );
  }
  return (
    <>
      <Header api={api} t={t} user={user} page={page} admin={admin} onSignedOut={() => toSignIn()} />
      {user.email_verified === false && <VerifyBanner api={api} t={t} email={user.email} />}
      <main className="card wide">
        {linkPage ??
          (page === 'sessions' ? (
            <Sessions api={api} t={t} language={language} onSignedOut={() => toSignIn()} />
          ) : page === 'security' ? (
            <Security api={api} t={t} user={user} onChanged={reloadUser} />
          ) : page === 'admin' ? (
            <Admin api={api} t={t} self={user} />
          ) : page === 'settings' ? (
            <Settings api={api} t={t} user={user} onDeleted={() => toSignIn(t.accountDeleted)} />
          ) : (
            <Plans api={api} t={t} />
          ))}
      </main>
    </>
  );
}
