import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from './messages.js';
import { appendPage, pageParams, readPage } from './paging.js';

// A list read from the API, loaded on mount and on `load()`; a 401 is left to the
// axios interceptor (it refreshes or sends the user to sign in).
//
// `remove(url, gone, describe)` deletes one of its items: `DELETE url`, then the items
// `gone(item)` matches leave the list. A failure other than 401 is shown
// (`describe(failure)`, else the usual message) and the list is read again. It
// resolves to whether the item was deleted.
export function useRemoteList(api, path, t, setError) {
  const [items, setItems] = useState(null);

  const load = useCallback(async () => {
    try {
      setItems((await api.get(path)).data);
    } catch (failure) {
      if (failure?.response?.status !== 401) setError(describeError(failure, t));
    }
  }, [api, path, t, setError]);

  const remove = useCallback(
    async (url, gone, describe) => {
      setError(null);
      try {
        await api.delete(url);
        setItems((list) => list.filter((item) => !gone(item)));
        return true;
      } catch (failure) {
        if (failure?.response?.status === 401) return false;
        setError(describe ? describe(failure) : describeError(failure, t));
        await load();
        return false;
      }
    },
    [api, t, setError, load],
  );

  useEffect(() => {
    load();
  }, [load]);

  return [items, setItems, load, remove];
}

/**
 * A cursor-paged list of the API (`{<key>: [...], next_cursor}`), loaded on mount and
 * whenever `params` (memoise it) change; `more()` appends the next page, `reload()`
 * starts over. Only the latest request's answer counts (a slow first search never
 * overwrites a later one). Failures other than 401 go to `setError(message, failure)`.
 *
 * @returns {{items: object[]|null, setItems: Function, next: string|null,
 *   loading: boolean, more: () => Promise<void>, reload: () => Promise<void>}}
 */
export function usePagedList(api, path, key, params, t, setError, subject) {
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [loading, setLoading] = useState(false);
  const latest = useRef(0);

  const fetchPage = useCallback(
    async (cursor) => {
      const ticket = ++latest.current;
      setLoading(true);
      try {
        const page = readPage((await api.get(path, { params: pageParams(params, cursor) })).data, key);
        if (ticket !== latest.current) return;
        setItems((list) => (cursor ? appendPage(list, page.items) : page.items));
        setNext(page.next);
      } catch (failure) {
        if (ticket === latest.current && failure?.response?.status !== 401) {
          setError(describeError(failure, t, subject), failure);
        }
      } finally {
        if (ticket === latest.current) setLoading(false);
      }
    },
    [api, path, key, params, t, setError, subject],
  );

  const reload = useCallback(() => fetchPage(null), [fetchPage]);
  const more = useCallback(() => (next ? fetchPage(next) : Promise.resolve()), [fetchPage, next]);

  useEffect(() => {
    reload();
  }, [reload]);

  return { items, setItems, next, loading, more, reload };
}
