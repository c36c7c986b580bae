import { useEffect, useState } from 'react';

/** "Sign in with …" for each provider of AUTHGATE_OIDC_PROVIDERS (none: nothing). */
export default function ProviderButtons({ api, t }) {
  const [providers, setProviders] = useState([]);
  useEffect(() => {
    let live = true;
    api
      .get('/auth/oidc/providers')
      .then((response) => live && setProviders(Array.isArray(response.data) ? response.data : []))
      .catch(() => live && setProviders([]));
    return () => {
      live = false;
    };
  }, [api]);
  if (!providers.length) return null;
  return (
    <div className="providers">
      <p className="or">{t.orWord}</p>
      {providers.map((provider) => (
        <p key={provider.name}>
          <a className="button secondary" href={`/auth/oidc/${encodeURIComponent(provider.name)}/start`}>
            {t.signInWith(provider.display_name)}
          </a>
        </p>
      ))}
    </div>
  );
}
