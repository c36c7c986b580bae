import { useId, useMemo, useState } from 'react';
import { describePasskeyFailure, loginWithPasskey, passkeysSupported } from '../passkeys.js';
import CodeStep from './CodeStep.jsx';

/**
 * "Sign in with a passkey": passwordless (no `mfaToken`: the browser offers the
 * passkeys of this site it has), or the second step of a password sign-in (the
 * `mfaToken` of its 403 mfa_required: that account's passkeys). The session cookies
 * are set when `onSignedIn` runs; `lead` shows before the button (an "or"). The
 * button shows wherever the browser has WebAuthn (a passkey may be on this device, a
 * phone or a security key, which no browser reports beforehand); with `always` (the
 * second step: the server knows the account has one) a browser without WebAuthn
 * says why it cannot.
 */
export function PasskeyButton({ api, t, mfaToken = null, onSignedIn, always = false, primary = false, lead = null }) {
  const supported = useMemo(() => passkeysSupported(), []);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState(null); // { text, calm }
  async function click() {
    setBusy(true);
    setMessage(null);
    try {
      await loginWithPasskey(api, { mfaToken });
      await onSignedIn();
      return; // the page moves on
    } catch (failure) {
      setMessage(describePasskeyFailure(failure, t));
    }
    setBusy(false);
  }

  if (!supported) {
    return always ? (
      <p role="alert" className="error">
        {t.errors.passkeyUnsupported}
      </p>
    ) : null;
  }
  return (
    <div className="passkey-signin">
      {lead}
      <button type="button" className={primary ? undefined : 'secondary'} disabled={busy} onClick={click}>
        {t.signInWithPasskey}
      </button>
      {busy && (
        <p className="hint" aria-live="polite">
          {t.passkeyWaiting}
        </p>
      )}
      {message &&
        (message.calm ? (
          <p role="status" className="notice">
            {message.text}
          </p>
        ) : (
          <p role="alert" className="error">
            {message.text}
          </p>
        ))}
    </div>
  );
}

/**
 * The second step of a sign-in: CodeStep for an authenticator app or a recovery
 * code, and "Sign in with a passkey" when the answer's methods include "passkey"
 * (alone when the account has only passkeys). The same props as CodeStep.
 */
export function SecondStep(props) {
  const { api, t, challenge, onVerified, onStartOver, heading: Heading = 'h1' } = props;
  const id = useId();
  const methods = challenge.methods ?? [];
  if (!methods.includes('passkey')) return <CodeStep {...props} />;
  const passkey = (primary) => (
    <PasskeyButton api={api} t={t} mfaToken={challenge.token} onSignedIn={onVerified} always primary={primary} />
  );
  if (methods.some((method) => method === 'totp' || method === 'recovery_code')) {
    return (
      <>
        <CodeStep {...props} />
        <div className="passkey-option">
          <p>{t.passkeyInsteadOfCode}</p>
          {passkey(false)}
        </div>
      </>
    );
  }
  return (
    <section aria-labelledby={`${id}-heading`} className="code-step">
      <Heading id={`${id}-heading`}>{t.codeHeading}</Heading>
      <p>{t.passkeyStepIntro}</p>
      {passkey(true)}
      <p className="code-options">
        <button type="button" className="text" onClick={onStartOver}>
          {t.startOver}
        </button>
      </p>
    </section>
  );
}
