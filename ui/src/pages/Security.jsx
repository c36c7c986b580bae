import { useEffect, useId, useRef, useState } from 'react';
import { errorCode, sessionLost } from '../api.js';
import { copyText } from '../clipboard.js';
import { describeError } from '../messages.js';
import { ReauthCancelled, cleanCode, groupSecret, otpauthLink, svgDataUri } from '../mfa.js';
import { useReauth } from './ConfirmIdentity.jsx';
import ConnectedApps from './ConnectedApps.jsx';
import LinkedAccounts from './LinkedAccounts.jsx';
import PasskeysSection from './PasskeysSection.jsx';
import Question from './Question.jsx';
import RecentActivity from './RecentActivity.jsx';
import RecoveryCodes from './RecoveryCodes.jsx';

/**
 * The security page: the authenticator app (set up, regenerate its recovery codes,
 * turn it off). Every change but the setup's confirmation needs a recent sign-in;
 * when the server asks for one, the "confirm it's you" step shows here and the
 * action runs again after it.
 */
export default function Security({ api, t, user, onChanged }) {
  const id = useId();
  const on = Boolean(user.mfa?.totp);
  const [view, setView] = useState('overview'); // overview | setup | codes
  const [setup, setSetup] = useState(null); // { secret, otpauth_uri, qr_svg } while pending
  const [codes, setCodes] = useState(null); // { list, notice } shown once
  const [asking, setAsking] = useState(null); // null | 'regenerate' | 'turn-off'
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [status, setStatus] = useState(null);
  const [prompt, run] = useReauth({ api, t, email: user.email });

  function reset() {
    setError(null);
    setStatus(null);
  }

  // One action: busy while it runs, errors shown here; a cancelled "confirm it's
  // you" or a lost session (the client has gone to sign-in) shows nothing.
  async function act(action, done) {
    setBusy(true);
    reset();
    try {
      const result = await run(action);
      await done(result);
    } catch (failure) {
      if (!(failure instanceof ReauthCancelled) && !sessionLost(failure)) {
        setError(describeError(failure, t, 'mfa'));
        const code = errorCode(failure);
        if (code === 'mfa_exists' || code === 'mfa_missing') {
          setView('overview');
          await onChanged(); // the page was out of date: show what the server has
        }
      }
    }
    setBusy(false);
  }

  const startSetup = () =>
    act(
      () => api.post('/auth/mfa/totp'),
      (response) => {
        setSetup(response.data);
        setView('setup');
      },
    );

  const showCodes = (list, notice = null) => {
    setCodes({ list, notice });
    setView('codes');
  };

  const regenerate = () =>
    act(
      () => api.post('/auth/mfa/recovery-codes'),
      (response) => {
        setAsking(null);
        showCodes(response.data.recovery_codes);
      },
    );

  const turnOff = () =>
    act(
      () => api.delete('/auth/mfa/totp'),
      async () => {
        setAsking(null);
        await onChanged();
        setStatus(t.totpTurnedOff);
      },
    );

  let body;
  if (prompt) {
    body = prompt;
  } else if (view === 'setup' && setup) {
    body = (
      <SetupApp
        api={api}
        t={t}
        setup={setup}
        run={run}
        onConfirmed={async (list) => {
          setSetup(null);
          showCodes(list, t.totpSetUp);
          await onChanged();
        }}
        onCancel={() => {
          setSetup(null);
          setView('overview');
        }}
      />
    );
  } else if (view === 'codes' && codes) {
    body = (
      <RecoveryCodes
        t={t}
        codes={codes.list}
        email={user.email}
        notice={codes.notice}
        onDone={() => {
          setCodes(null);
          setView('overview');
        }}
      />
    );
  } else if (on) {
    body = (
      <>
        <p>{t.recoveryCodesIntro}</p>
        <div className="actions">
          <button
            type="button"
            className="secondary"
            disabled={busy || asking !== null}
            onClick={() => {
              reset();
              setAsking('regenerate');
            }}
          >
            {t.regenerateCodes}
          </button>
          <button
            type="button"
            className="danger"
            disabled={busy || asking !== null}
            onClick={() => {
              reset();
              setAsking('turn-off');
            }}
          >
            {t.turnOffTotp}
          </button>
        </div>
        {asking === 'regenerate' && (
          <Question
            question={t.regenerateQuestion}
            yes={t.regenerateConfirm}
            no={t.cancel}
            busy={busy}
            onYes={regenerate}
            onNo={() => setAsking(null)}
          />
        )}
        {asking === 'turn-off' && (
          <Question
            question={t.turnOffQuestion}
            yes={t.turnOffConfirm}
            no={t.cancel}
            danger
            busy={busy}
            onYes={turnOff}
            onNo={() => setAsking(null)}
          />
        )}
      </>
    );
  } else {
    body = (
      <div className="actions">
        <button type="button" disabled={busy} onClick={startSetup}>
          {t.setUpTotp}
        </button>
      </div>
    );
  }

  return (
    <section aria-labelledby={`${id}-heading`} className="security">
      <h1 id={`${id}-heading`}>{t.security}</h1>
      <section aria-labelledby={`${id}-app`}>
        <h2 id={`${id}-app`}>{t.authenticatorApp}</h2>
        <p className={on ? 'state on' : 'state'}>{on ? t.totpOn : t.totpOff}</p>
        {status && (
          <p role="status" className="notice">
            {status}
          </p>
        )}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        {body}
      </section>
      <PasskeysSection api={api} t={t} user={user} onChanged={onChanged} />
      <LinkedAccounts api={api} t={t} />
      <ConnectedApps api={api} t={t} />
      <RecentActivity api={api} t={t} />
    </section>
  );
}

/** The pending setup: the QR code, the key by hand, and the first code to confirm it. */
function SetupApp({ api, t, setup, run, onConfirmed, onCancel }) {
  const id = useId();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [copied, setCopied] = useState(null);
  const heading = useRef(null);
  const secret = String(setup.secret ?? '').replace(/\s+/g, '');
  const link = otpauthLink(setup.otpauth_uri);

  useEffect(() => {
    heading.current?.focus();
  }, []);

  async function submit(event) {
    event.preventDefault();
    const clean = cleanCode(code, 'totp');
    if (clean === null) {
      setError(t.errors.badTotp);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const response = await run(() => api.post('/auth/mfa/totp/confirm', { code: clean }));
      await onConfirmed(response.data.recovery_codes);
      return;
    } catch (failure) {
      if (!(failure instanceof ReauthCancelled) && !sessionLost(failure)) {
        setError(describeError(failure, t, 'mfa'));
      }
    }
    setBusy(false);
  }

  return (
    <section aria-labelledby={`${id}-heading`} className="setup">
      <h3 id={`${id}-heading`} tabIndex={-1} ref={heading}>
        {t.setupHeading}
      </h3>
      <ol className="steps">
        <li>
          <p>{t.setupScan}</p>
          <img className="qr" src={svgDataUri(setup.qr_svg)} alt={t.qrAlt} width="200" height="200" />
        </li>
        <li>
          <p id={`${id}-manual`}>{t.setupManual}</p>
          <div className="key">
            <label htmlFor={`${id}-key`}>{t.setupKey}</label>
            <input
              id={`${id}-key`}
              className="secret"
              type="text"
              readOnly
              value={groupSecret(secret)}
              spellCheck={false}
              aria-describedby={`${id}-manual`}
              onFocus={(event) => event.target.select()}
            />
            <button
              type="button"
              className="secondary"
              onClick={async () => setCopied((await copyText(secret)) ? t.copied : t.copyFailed)}
            >
              {t.copyKey}
            </button>
          </div>
          {copied && <p role="status">{copied}</p>}
          {link && (
            <p>
              <a href={link}>{t.openInApp}</a>
            </p>
          )}
        </li>
        <li>
          <p id={`${id}-enter`}>{t.setupEnterCode}</p>
          <form noValidate onSubmit={submit} aria-describedby={`${id}-enter`}>
            <label htmlFor={`${id}-code`}>{t.authenticationCode}</label>
            <input
              id={`${id}-code`}
              type="text"
              className="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={12}
              value={code}
              onChange={(event) => setCode(event.target.value)}
              aria-invalid={error ? true : undefined}
              required
            />
            {error && (
              <p role="alert" className="error">
                {error}
              </p>
            )}
            <div className="actions">
              <button type="submit" disabled={busy}>
                {t.verify}
              </button>
              <button type="button" className="secondary" disabled={busy} onClick={onCancel}>
                {t.cancel}
              </button>
            </div>
          </form>
        </li>
      </ol>
    </section>
  );
}
