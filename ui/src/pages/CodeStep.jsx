import { useEffect, useId, useRef, useState } from 'react';
import { errorCode } from '../api.js';
import { describeError } from '../messages.js';
import { challengeOver, cleanCode, loginWithCode } from '../mfa.js';

/**
 * The second step of a sign-in (and of "confirm it's you"): a code from the
 * authenticator app, or a recovery code. The challenge's token lives for 5 wrong
 * codes or a few minutes; the server then answers `mfa_invalid` to any code (the
 * same words as a wrong code), so this page counts and keeps the time itself and,
 * once the token is over, offers only to start over with the password.
 *
 * @param {object} props
 * @param {{token: string, methods: string[], expiresAt: number}} props.challenge
 * @param {() => Promise<void>|void} props.onVerified the session cookies are set
 * @param {() => void} props.onStartOver back to the password
 * @param {'h1'|'h3'} [props.heading] the heading's level where the step is shown
 */
export default function CodeStep({ api, t, challenge, onVerified, onStartOver, heading: Heading = 'h1' }) {
  const id = useId();
  const [method, setMethod] = useState('totp');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [failures, setFailures] = useState(0);
  const [over, setOver] = useState(false);
  const field = useRef(null);
  const startOver = useRef(null);
  const recoveryAllowed = challenge.methods.includes('recovery_code');
  const label = method === 'totp' ? t.authenticationCode : t.recoveryCode;

  useEffect(() => {
    if (over) startOver.current?.focus();
    else field.current?.focus();
  }, [method, over]);

  function switchMethod() {
    setMethod((current) => (current === 'totp' ? 'recovery_code' : 'totp'));
    setCode('');
    setError(null);
  }

  async function submit(event) {
    event.preventDefault();
    const clean = cleanCode(code, method);
    if (clean === null) {
      setError(method === 'totp' ? t.errors.badTotp : t.errors.noRecoveryCode);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await loginWithCode(api, challenge, clean);
      await onVerified();
      return; // the page moves on
    } catch (failure) {
      const code = errorCode(failure);
      if (code === 'mfa_invalid') {
        const count = failures + 1;
        setFailures(count);
        if (challengeOver(challenge, count)) setOver(true);
        else field.current?.select();
      }
      setError(
        code === 'validation_error' && method !== 'totp'
          ? t.errors.noRecoveryCode
          : describeError(failure, t, 'mfa'),
      );
    }
    setBusy(false);
  }

  return (
    <section aria-labelledby={`${id}-heading`} className="code-step">
      <Heading id={`${id}-heading`}>{t.codeHeading}</Heading>
      {over ? (
        <>
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
          <p role="status">{t.codeStepOver}</p>
          <button type="button" ref={startOver} onClick={onStartOver}>
            {t.startOver}
          </button>
        </>
      ) : (
        <>
          <p id={`${id}-intro`}>{method === 'totp' ? t.codeIntroTotp : t.codeIntroRecovery}</p>
          <form noValidate onSubmit={submit} aria-describedby={`${id}-intro`}>
            <label htmlFor={`${id}-code`}>{label}</label>
            <input
              id={`${id}-code`}
              key={method}
              ref={field}
              type="text"
              className="code"
              inputMode={method === 'totp' ? 'numeric' : 'text'}
              autoComplete={method === 'totp' ? 'one-time-code' : 'off'}
              autoCapitalize="off"
              spellCheck={false}
              maxLength={method === 'totp' ? 12 : 64}
              value={code}
              onChange={(event) => setCode(event.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
              required
            />
            {error && (
              <p id={`${id}-error`} role="alert" className="error">
                {error}
              </p>
            )}
            <button type="submit" disabled={busy}>
              {t.verify}
            </button>
          </form>
          <p className="code-options">
            {recoveryAllowed && (
              <button type="button" className="text" disabled={busy} onClick={switchMethod}>
                {method === 'totp' ? t.useRecoveryCode : t.useAuthenticator}
              </button>
            )}
            <button type="button" className="text" disabled={busy} onClick={onStartOver}>
              {t.startOver}
            </button>
          </p>
        </>
      )}
    </section>
  );
}
