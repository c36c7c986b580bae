import { useEffect, useId, useRef, useState } from 'react';
import { copyText, downloadText } from '../clipboard.js';
import { RECOVERY_CODES_FILE, recoveryCodesText } from '../mfa.js';

/**
 * A new set of recovery codes, shown this once: copy, download (.txt), done. The
 * heading takes the focus so the warning is read out at once.
 */
export default function RecoveryCodes({ t, codes, email, notice, onDone }) {
  const id = useId();
  const [copied, setCopied] = useState(null); // null, or the message of the last copy
  const heading = useRef(null);

  useEffect(() => {
    heading.current?.focus();
  }, [codes]);

  async function copy() {
    setCopied(null);
    setCopied((await copyText(codes.join('\n'))) ? t.copied : t.copyFailed);
  }

  return (
    <section aria-labelledby={`${id}-heading`} className="recovery-codes">
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <h3 id={`${id}-heading`} tabIndex={-1} ref={heading}>
        {t.codesHeading}
      </h3>
      <p className="warning" id={`${id}-warning`}>
        {t.codesWarning}
      </p>
      <ul className="codes" aria-label={t.recoveryCodes} aria-describedby={`${id}-warning`}>
        {codes.map((code, index) => (
          <li key={index}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <div className="actions">
        <button type="button" className="secondary" onClick={copy}>
          {t.copy}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => downloadText(RECOVERY_CODES_FILE, recoveryCodesText(codes, { t, email }))}
        >
          {t.download}
        </button>
        <button type="button" onClick={onDone}>
          {t.done}
        </button>
      </div>
      {copied && <p role="status">{copied}</p>}
    </section>
  );
}
