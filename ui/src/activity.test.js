import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, dateFormat, eventLabel, eventNote, formatWhen } from './activity.js';
import { DICTIONARIES } from './i18n.js';

const { en, ko } = DICTIONARIES;

describe('eventLabel', () => {
  it('has a label of its own for every event type, in English and Korean', () => {
    for (const t of [en, ko]) {
      const labels = EVENT_TYPES.map((type) => eventLabel(type, t));
      for (const [i, label] of labels.entries()) {
        expect(label, EVENT_TYPES[i]).not.toBe(EVENT_TYPES[i]);
        expect(label.trim()).toBe(label);
        expect(label.length).toBeGreaterThan(1);
      }
      expect(new Set(labels).size).toBe(labels.length);
    }
    expect(Object.keys(en.eventTypes).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('names the common events as a person would', () => {
    expect(eventLabel('login', en)).toBe('Signed in');
    expect(eventLabel('login_failed', en)).toBe('Failed sign-in');
    expect(eventLabel('password_changed', en)).toBe('Password changed');
    expect(eventLabel('login', ko)).toBe('로그인');
  });

  it('shows a type it does not know as it is, and never an inherited property', () => {
    expect(eventLabel('quantum_login', en)).toBe('quantum_login');
    expect(eventLabel('constructor', en)).toBe('constructor');
    expect(eventLabel('toString', en)).toBe('toString');
  });
});

describe('eventNote', () => {
  it('says when an administrator acted, and lists the details', () => {
    const event = { user_id: 'u', actor_id: 'a', detail: { role: 'admin', method: 'all' } };
    expect(eventNote(event, en)).toBe('by an administrator · role: admin · method: all');
    expect(eventNote({ user_id: 'u', actor_id: null, detail: {} }, en)).toBeNull();
    expect(eventNote({ user_id: 'u', actor_id: 'u', detail: { amr: 'pwd' } }, en)).toBe('amr: pwd');
    expect(eventNote({ user_id: 'u' }, en)).toBeNull();
    expect(eventNote({ user_id: 'u', detail: { empty: '' } }, en)).toBeNull();
  });
});

describe('formatWhen', () => {
  it('formats API timestamps in the given language, with a fallback for none', () => {
    const format = dateFormat('en-US');
    expect(formatWhen(format, '2026-03-04T05:06:07Z')).toMatch(/2026/);
    expect(formatWhen(format, null, '—')).toBe('—');
    expect(formatWhen(format, 'not a date')).toBe('not a date');
    const at = '2026-03-04T05:06:07Z';
    expect(formatWhen(dateFormat('ko'), at)).not.toBe(formatWhen(format, at)); // the page's language
  });
});
