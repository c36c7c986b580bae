import { useCallback, useId, useMemo, useState } from 'react';
import { errorCode } from '../api.js';
import { usePagedList } from '../useRemoteList.js';
import AdminUser, { UserBadges } from './AdminUser.jsx';

export const USERS_PAGE = 20;

/**
 * The admin page (API.md §3.3): find accounts by the start of their email address,
 * open one (its sessions, factors and events) and act on it. The server checks the
 * role on every call: anyone else gets 403 `forbidden`, and this page then says it is
 * for administrators only.
 */
export default function Admin({ api, t, self }) {
  const id = useId();
  const [typed, setTyped] = useState('');
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState(null); // the id of the open account
  const [error, setError] = useState(null);
  const [forbidden, setForbidden] = useState(false);

  const failed = useCallback((message, failure) => {
    if (errorCode(failure) === 'forbidden') setForbidden(true);
    else setError(message);
  }, []);
  const params = useMemo(() => ({ q: query, limit: USERS_PAGE }), [query]);
  const users = usePagedList(api, '/admin/users', 'users', params, t, failed, 'admin');
  const { items, next, loading, more, setItems, reload } = users;

  function search(event) {
    event.preventDefault();
    setError(null);
    const clean = typed.trim();
    if (clean === query) reload();
    else setQuery(clean);
  }

  // The open account changed (or is gone): its row in the results follows.
  const changed = useCallback(
    (detail) => {
      setItems((list) =>
        list?.map((user) =>
          user.id === detail.id
            ? { ...user, disabled: detail.disabled, roles: detail.roles, mfa: detail.mfa, email: detail.email }
            : user,
        ),
      );
    },
    [setItems],
  );
  const gone = useCallback(() => {
    setSelected(null);
    setError(t.errors.userGone);
    reload();
  }, [t, reload]);

  if (forbidden) {
    return (
      <section aria-labelledby={`${id}-heading`} className="admin">
        <h1 id={`${id}-heading`}>{t.admin}</h1>
        <p role="alert" className="error">
          {t.adminOnly}
        </p>
      </section>
    );
  }

  return (
    <section aria-labelledby={`${id}-heading`} className="admin">
      <h1 id={`${id}-heading`}>{t.admin}</h1>
      <form role="search" noValidate className="inline" onSubmit={search}>
        <label htmlFor={`${id}-q`}>{t.searchUsers}</label>
        <input
          id={`${id}-q`}
          type="search"
          autoComplete="off"
          spellCheck={false}
          value={typed}
          placeholder={t.searchUsersHint}
          onChange={(event) => setTyped(event.target.value)}
        />
        <button type="submit" disabled={loading}>
          {t.search}
        </button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {items === null ? (
        loading && <p className="hint">{t.loading}</p>
      ) : items.length === 0 ? (
        <p className="empty">{query ? t.noUsersFound(query) : t.noUsers}</p>
      ) : (
        <ul className="users" aria-label={t.users}>
          {items.map((user) => (
            <li key={user.id} className={user.id === selected ? 'current' : undefined}>
              <button
                type="button"
                className="text"
                aria-current={user.id === selected ? 'true' : undefined}
                onClick={() => {
                  setError(null);
                  setSelected(user.id);
                }}
              >
                {user.email}
              </button>
              <UserBadges t={t} user={user} />
            </li>
          ))}
        </ul>
      )}
      {next && (
        <div className="actions">
          <button type="button" className="secondary" disabled={loading} onClick={more}>
            {t.showMore}
          </button>
        </div>
      )}
      {selected && (
        <AdminUser
          key={selected}
          api={api}
          t={t}
          userId={selected}
          self={self}
          onChanged={changed}
          onGone={gone}
        />
      )}
    </section>
  );
}
