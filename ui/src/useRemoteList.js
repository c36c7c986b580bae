import { useCallback, useEffect, useState } from 'react';
import { describeError } from './messages.js';

// A list read from the API, loaded on mount and on `load()`; a 401 is left to the
// axios interceptor (it refreshes or sends the user to sign in).
export function useRemoteList(api, path, t, setError) {
  const [items, setItems] = useState(null);

  const load = useCallback(async () => {
    try {
      setItems((await api.get(path)).data);
    } catch (failure) {
      if (failure?.response?.status !== 401) setError(describeError(failure, t));
    }
  }, [api, path, t, setError]);

  useEffect(() => {
    load();
  }, [load]);

  return [items, setItems, load];
}
