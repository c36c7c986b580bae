// Cursor paging of the API's lists (API.md §3.3): an answer is `{<items>, next_cursor}`,
// newest or first first; the next page is asked for with `cursor=<next_cursor>` and
// the same other parameters, until `next_cursor` is null.

/** The query parameters of a page: `params` without empty values, and the cursor if any. */
export function pageParams(params, cursor = null) {
  const query = {};
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value !== null && value !== undefined && value !== '') query[name] = value;
  }
  if (cursor) query.cursor = cursor;
  return query;
}

/** `list` followed by the items of the next page that it does not have yet (by id). */
export function appendPage(list, more) {
  const known = new Set((list ?? []).map((item) => item.id));
  return [...(list ?? []), ...(more ?? []).filter((item) => !known.has(item.id))];
}

/** The items (under `key`) and the next cursor of an answer; a missing list is empty. */
export function readPage(data, key) {
  const items = Array.isArray(data?.[key]) ? data[key] : [];
  const next = typeof data?.next_cursor === 'string' && data.next_cursor ? data.next_cursor : null;
  return { items, next };
}
