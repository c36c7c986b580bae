import { useEffect, useId, useRef } from 'react';

/** An in-page yes/no question; the harmless answer gets the focus. */
export default function Question({ question, yes, no, danger = false, busy, onYes, onNo }) {
  const id = useId();
  const cancel = useRef(null);
  useEffect(() => {
    cancel.current?.focus();
  }, []);
  return (
    <div role="group" className={danger ? 'confirm' : 'confirm calm'} aria-labelledby={`${id}-question`}>
      <p id={`${id}-question`}>{question}</p>
      <button type="button" className={danger ? 'danger' : undefined} disabled={busy} onClick={onYes}>
        {yes}
      </button>
      <button type="button" className="secondary" ref={cancel} disabled={busy} onClick={onNo}>
        {no}
      </button>
    </div>
  );
}
