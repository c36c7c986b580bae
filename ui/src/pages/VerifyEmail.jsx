import { useEffect, useState } from 'react';
import { describeError } from '../messages.js';
import { once, tokenSettled } from '../routes.js';
import { forgetToken } from '../router.js';

// token -> the promise of its one POST: StrictMode runs effects twice, and the page
// may mount again (signed out by an expired session meanwhile); a token is single-use.
const verifications = new Map();

function verify(api, token) {
  return once(verifications, token, () =>
    api.post('/auth/email/verify', { token }).then(
      () => ({ ok: true }),
      (failure) => ({ ok: false, failure }),
    ),
  );
}

/**
 * Open a verification link (#/verify-email?token=…): registration, a resend, and the
 * confirmation of a new address alike. Posts the token on load, once.
 */
export default function VerifyEmail({ api, t, token, signedIn, onVerified }) {
  // null: under way; {ok} or {message}. Without a token there is nothing to try.
  const [outcome, setOutcome] = useState(token ? null : { message: t.errors.link_invalid });

  useEffect(() => {
    if (!token) return undefined; // (also once the token has left the address bar)
    let live = true;
    setOutcome(null);
    verify(api, token).then((result) => {
      if (!live) return;
      if (tokenSettled(result.failure)) {
        forgetToken();
      } else {
        verifications.delete(token); // not answered: a reload (or the next mount) tries again
      }
      if (result.ok) {
        setOutcome({ ok: true });
        onVerified();
      } else {
        setOutcome({ message: describeError(result.failure, t, 'link') });
      }
    });
    return () => {
      live = false;
    };
    // (onVerified and t may change identity between renders; the POST is per token.)
  }, [api, token]);

  return (
    <section>
      <h1>{t.verifyHeading}</h1>
      {outcome === null ? (
        <p role="status">{t.verifying}</p>
      ) : outcome.ok ? (
        <p role="status" className="notice">
          {t.verified}
        </p>
      ) : (
        <>
          <p role="alert" className="error">
            {outcome.message}
          </p>
          {!signedIn && <p>{t.signInForNewLink}</p>}
        </>
      )}
      {outcome !== null && (
        <p>{signedIn ? <a href="#/plans">{t.continueToPlans}</a> : <a href="#/signin">{t.toSignIn}</a>}</p>
      )}
    </section>
  );
}
