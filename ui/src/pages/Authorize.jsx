import { useEffect, useState } from 'react';
import { isLooping, resumeUrl } from '../oidc.js';

/**
 * An application asked authgate to sign the user in (/oauth/authorize sent the
 * browser here because this browser was not signed in). Once signed in, the request
 * goes back to the server, which answers the application.
 */
export default function Authorize({ t, query }) {
  const [stuck, setStuck] = useState(false);
  useEffect(() => {
    if (isLooping(query)) {
      setStuck(true);
      return;
    }
    window.location.assign(resumeUrl(query));
  }, [query]);
  return stuck ? (
    <p role="alert" className="error">
      {t.authorizeStuck}
    </p>
  ) : (
    <p role="status">{t.continuingToApp}</p>
  );
}
