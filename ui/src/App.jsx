import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createClient } from './api.js';
import { DICTIONARIES, browserLanguage } from './i18n.js';
import { navigate, useRoute } from './router.js';
import Header from './pages/Header.jsx';
import Plans from './pages/Plans.jsx';
import Register from './pages/Register.jsx';
import Sessions from './pages/Sessions.jsx';
import SignIn from './pages/SignIn.jsx';

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

  const signedIn = useCallback((me) => {
    setNotice(null);
    setUser(me);
  }, []);

  const page = user ? (route === '/sessions' ? 'sessions' : 'plans') : route === '/register' ? 'register' : 'signin';
  useEffect(() => {
    if (user !== undefined) navigate(`/${page}`, { replace: true });
  }, [user, page]);

  if (user === undefined) {
    return (
      <main className="card">
        <p role="status">{t.loading}</p>
      </main>
    );
  }
  if (!user) {
    return page === 'register' ? (
      <Register api={api} t={t} onSignedIn={signedIn} />
    ) : (
      <SignIn api={api} t={t} notice={notice} onSignedIn={signedIn} />
    );
  }
  return (
    <>
      <Header api={api} t={t} user={user} page={page} onSignedOut={() => signedOut()} />
      <main className="card wide">
        {page === 'sessions' ? (
          <Sessions api={api} t={t} language={language} onSignedOut={() => signedOut()} />
        ) : (
          <Plans api={api} t={t} />
        )}
      </main>
    </>
  );
}
