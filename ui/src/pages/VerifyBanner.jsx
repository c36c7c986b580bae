import { useState } from 'react';
import { sessionLost } from '../api.js';
import { describeError } from '../messages.js';

/**
 * Shown on every signed-in page while the account's address is not verified. The
 * region's name avoids the words of the sign-in fields' labels ("Email", "이메일"):
 * label lookups match parts of names, and the banner lingers while signing out.
 */
export default function VerifyBanner({ api, t, email }) {
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const [error, setError] = useState(null);

  async function resend() {
    setBusy(true);
    setSent(false);
    setError(null);
    try {
      await api.post('/auth/email/verify/resend');
      setSent(true);
    } catch (failure) {
      if (!sessionLost(failure)) setError(describeError(failure, t, 'mail'));
    }
    setBusy(false);
  }

  return (
    <section className="banner" aria-label={t.unverifiedRegion}>
      <p>{t.unverified(email)}</p>
      <button type="button" className="secondary" disabled={busy} onClick={resend}>
        {t.resendVerification}
      </button>
      {sent && <p role="status">{t.verificationSent(email)}</p>}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
