import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { dateFormat } from '../activity.js';
import { sessionLost } from '../api.js';
import { ReauthCancelled } from '../mfa.js';
import { describePasskeyFailure, passkeysSupported, registerPasskey } from '../passkeys.js';
import { useRemoteList } from '../useRemoteList.js';
import { useReauth } from './ConfirmIdentity.jsx';

/** The longest passkey name the form lets through (the server has the final say). */
export const PASSKEY_NAME_MAX = 100;

/**
 * The security page's passkeys: the list (name, added, last used), adding one (an
 * optional name, then the browser's ceremony), renaming and removing. Adding and
 * removing need a recent sign-in: on 403 `reauth_required` the "confirm it's you"
 * step shows in this section and the action runs again after it.
 */
export default function PasskeysSection({ api, t, user, onChanged }) {
  const id = useId();
  const supported = useMemo(() => passkeysSupported(), []);
  const format = useMemo(() => dateFormat(), []);
  const [message, setMessage] = useState(null); // { text, calm } of the last failure
  const [status, setStatus] = useState(null);
  const [adding, setAdding] = useState(false);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState(null); // the id of the passkey being renamed
  const [removing, setRemoving] = useState(null); // the id of the passkey asked about
  const [prompt, run] = useReauth({ api, t, email: user.email });
  const showError = useCallback((text) => setMessage(text ? { text, calm: false } : null), []);
  const [passkeys, setPasskeys, load] = useRemoteList(api, '/auth/passkeys', t, showError);

  // One action: busy while it runs; a cancelled "confirm it's you" or a lost session
  // (the client has gone to sign-in) shows nothing. True when it succeeded.
  async function act(action) {
    setBusy(true);
    setMessage(null);
    setStatus(null);
    try {
      await action();
      setBusy(false);
      return true;
    } catch (failure) {
      if (!(failure instanceof ReauthCancelled) && !sessionLost(failure)) {
        setMessage(describePasskeyFailure(failure, t));
        if (failure?.response?.status === 404) await load();
      }
    }
    setBusy(false);
    return false;
  }

  const add = (name) =>
    act(async () => {
      const created = await registerPasskey(api, name, { run });
      setPasskeys((list) => [...(list ?? []).filter((p) => p.id !== created.id), created]);
      setAdding(false);
      setStatus(t.passkeyAdded);
      await onChanged?.();
    });

  const rename = (passkey, name) =>
    act(async () => {
      const renamed = (await api.patch(`/auth/passkeys/${passkey.id}`, { name })).data;
      setPasskeys((list) => list.map((p) => (p.id === passkey.id ? renamed : p)));
      setEditing(null);
      setStatus(t.passkeyRenamed);
    });

  const remove = (passkey) =>
    act(async () => {
      await run(() => api.delete(`/auth/passkeys/${passkey.id}`));
      setPasskeys((list) => list.filter((p) => p.id !== passkey.id));
      setRemoving(null);
      setStatus(t.passkeyRemoved(passkey.name));
      await onChanged?.();
    });

  function startOver() {
    setMessage(null);
    setStatus(null);
  }

  return (
    <section aria-labelledby={`${id}-heading`} className="passkeys">
      <h2 id={`${id}-heading`}>{t.passkeys}</h2>
      <p>{t.passkeysIntro}</p>
      {status && (
        <p role="status" className="notice">
          {status}
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
      {!supported && (
        <p role="alert" className="error">
          {t.errors.passkeyUnsupported}
        </p>
      )}
      {prompt}
      {passkeys === null ? (
        <p className="hint">{t.loading}</p>
      ) : passkeys.length === 0 ? (
        <p className="empty">{t.noPasskeys}</p>
      ) : (
        <ul className="passkey-list" aria-label={t.passkeys}>
          {passkeys.map((passkey) => (
            <li key={passkey.id}>
              {editing === passkey.id ? (
                <RenameForm
                  t={t}
                  passkey={passkey}
                  busy={busy}
                  onSave={(name) => rename(passkey, name)}
                  onCancel={() => setEditing(null)}
                />
              ) : (
                <>
                  <span className="name">{passkey.name}</span>
                  <span className="when">
                    {t.passkeyCreated}: {format.format(new Date(passkey.created_at))} · {t.passkeyLastUsed}:{' '}
                    {passkey.last_used_at ? format.format(new Date(passkey.last_used_at)) : t.passkeyNeverUsed}
                  </span>
                  <span className="item-actions">
                    <button
                      type="button"
                      className="secondary"
                      disabled={busy || Boolean(prompt)}
                      onClick={() => {
                        startOver();
                        setRemoving(null);
                        setEditing(passkey.id);
                      }}
                    >
                      {t.rename}
                    </button>
                    <button
                      type="button"
                      className="danger"
                      disabled={busy || Boolean(prompt)}
                      onClick={() => {
                        startOver();
                        setEditing(null);
                        setRemoving(passkey.id);
                      }}
                    >
                      {t.removePasskey}
                    </button>
                  </span>
                  {removing === passkey.id && !prompt && (
                    <RemoveQuestion
                      t={t}
                      passkey={passkey}
                      busy={busy}
                      onYes={() => remove(passkey)}
                      onNo={() => setRemoving(null)}
                    />
                  )}
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {supported && !prompt &&
        (adding ? (
          <AddForm t={t} busy={busy} onAdd={add} onCancel={() => setAdding(false)} />
        ) : (
          <div className="actions">
            <button
              type="button"
              disabled={busy}
              onClick={() => {
                startOver();
                setAdding(true);
              }}
            >
              {t.addPasskey}
            </button>
          </div>
        ))}
    </section>
  );
}

/** The optional name of a new passkey, then the browser's ceremony. */
function AddForm({ t, busy, onAdd, onCancel }) {
  const id = useId();
  const [name, setName] = useState('');
  const [problem, setProblem] = useState(null);
  const field = useRef(null);
  useEffect(() => {
    field.current?.focus();
  }, []);

  function submit(event) {
    event.preventDefault();
    if ([...name.trim()].length > PASSKEY_NAME_MAX) {
      setProblem(t.errors.badPasskeyName);
      return;
    }
    setProblem(null);
    onAdd(name);
  }

  return (
    <form noValidate onSubmit={submit} className="passkey-add">
      <label htmlFor={`${id}-name`}>{t.passkeyNameOptional}</label>
      <input
        id={`${id}-name`}
        ref={field}
        type="text"
        autoComplete="off"
        value={name}
        onChange={(event) => setName(event.target.value)}
        aria-describedby={`${id}-hint`}
        aria-invalid={problem ? true : undefined}
      />
      <p id={`${id}-hint`} className="hint">
        {t.passkeyNameHint}
      </p>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={busy}>
          {t.createPasskey}
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={onCancel}>
          {t.cancel}
        </button>
      </div>
    </form>
  );
}

/** Renaming in place: the name, Save and Cancel. */
function RenameForm({ t, passkey, busy, onSave, onCancel }) {
  const id = useId();
  const [name, setName] = useState(passkey.name ?? '');
  const [problem, setProblem] = useState(null);
  const field = useRef(null);
  useEffect(() => {
    field.current?.select();
  }, []);

  function submit(event) {
    event.preventDefault();
    const clean = name.trim();
    const length = [...clean].length;
    if (length === 0 || length > PASSKEY_NAME_MAX) {
      setProblem(t.errors.badPasskeyName);
      return;
    }
    setProblem(null);
    onSave(clean);
  }

  return (
    <form noValidate onSubmit={submit} className="inline passkey-rename">
      <label htmlFor={`${id}-name`}>{t.passkeyName}</label>
      <input
        id={`${id}-name`}
        ref={field}
        type="text"
        autoComplete="off"
        value={name}
        onChange={(event) => setName(event.target.value)}
        onKeyDown={(event) => event.key === 'Escape' && onCancel()}
        aria-invalid={problem ? true : undefined}
        required
      />
      <span className="item-actions">
        <button type="submit" disabled={busy}>
          {t.save}
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={onCancel}>
          {t.cancel}
        </button>
      </span>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
    </form>
  );
}

/** The in-page "remove it?" question; Cancel, the harmless answer, gets the focus. */
function RemoveQuestion({ t, passkey, busy, onYes, onNo }) {
  const id = useId();
  const cancel = useRef(null);
  useEffect(() => {
    cancel.current?.focus();
  }, []);
  return (
    <div role="group" className="confirm" aria-labelledby={`${id}-question`}>
      <p id={`${id}-question`}>{t.removePasskeyQuestion(passkey.name)}</p>
      <button type="button" className="danger" disabled={busy} onClick={onYes}>
        {t.removePasskeyConfirm}
      </button>
      <button type="button" className="secondary" ref={cancel} disabled={busy} onClick={onNo}>
        {t.cancel}
      </button>
    </div>
  );
}
