import { describe, expect, it } from 'vitest';
import { appendPage, pageParams, readPage } from './paging.js';

describe('pageParams', () => {
  it('drops empty parameters and adds the cursor of the next page', () => {
    expect(pageParams({ q: '', limit: 20 })).toEqual({ limit: 20 });
    expect(pageParams({ q: 'ann', limit: 20 }, 'abc')).toEqual({ q: 'ann', limit: 20, cursor: 'abc' });
    expect(pageParams({ user: null, type: undefined }, null)).toEqual({});
    expect(pageParams(undefined, 'c')).toEqual({ cursor: 'c' });
    expect(pageParams({ limit: 0 })).toEqual({ limit: 0 });
  });
});

describe('appendPage', () => {
  it('adds the next page after the list, without items it already has', () => {
    const first = [{ id: 3 }, { id: 2 }];
    expect(appendPage(first, [{ id: 2 }, { id: 1 }])).toEqual([{ id: 3 }, { id: 2 }, { id: 1 }]);
    expect(appendPage(null, [{ id: 1 }])).toEqual([{ id: 1 }]);
    expect(appendPage(first, undefined)).toEqual(first);
    expect(appendPage(first, [])).not.toBe(first); // a new array: React sees the change
  });
});

describe('readPage', () => {
  it('reads the items and the next cursor of an answer', () => {
    expect(readPage({ events: [{ id: 1 }], next_cursor: 'n' }, 'events')).toEqual({ items: [{ id: 1 }], next: 'n' });
    expect(readPage({ users: [], next_cursor: null }, 'users')).toEqual({ items: [], next: null });
  });

  it('takes a last page, and an odd answer, as having no next page', () => {
    expect(readPage({ events: [] }, 'events')).toEqual({ items: [], next: null });
    expect(readPage({ events: 'x', next_cursor: '' }, 'events')).toEqual({ items: [], next: null });
    expect(readPage(undefined, 'events')).toEqual({ items: [], next: null });
  });
});
