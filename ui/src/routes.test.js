import { describe, expect, it, vi } from 'vitest';
import { once, pageFor, parseRoute, tokenOf, tokenSettled, withoutToken } from './routes.js';

describe('parseRoute', () => {
  it('splits a hash route into its page and its parameters', () => {
    const { path, params } = parseRoute('/reset-password?token=abc_DEF-123');
    expect(path).toBe('reset-password');
    expect(params.get('token')).toBe('abc_DEF-123');
  });

  it('takes the route with or without "#", and an empty one', () => {
    expect(parseRoute('#/verify-email?token=t').path).toBe('verify-email');
    expect(parseRoute('/plans/').path).toBe('plans');
    expect(parseRoute('').path).toBe('');
    expect(parseRoute(undefined).path).toBe('');
    expect([...parseRoute('/plans').params]).toEqual([]);
  });

  it('decodes percent-encoded parameters', () => {
    expect(parseRoute('/verify-email?token=a%2Fb%3D').params.get('token')).toBe('a/b=');
  });
});

describe('pageFor', () => {
  it('keeps a page that belongs to the visitor, else sends them to the default', () => {
    expect(pageFor('register', false)).toBe('register');
    expect(pageFor('forgot-password', false)).toBe('forgot-password');
    expect(pageFor('settings', false)).toBe('signin');
    expect(pageFor('', false)).toBe('signin');
    expect(pageFor('settings', true)).toBe('settings');
    expect(pageFor('sessions', true)).toBe('sessions');
    expect(pageFor('security', true)).toBe('security');
    expect(pageFor('security', false)).toBe('signin');
    expect(pageFor('admin', true)).toBe('admin'); // the page itself says who may use it
    expect(pageFor('admin', false)).toBe('signin');
    expect(pageFor('signin', true)).toBe('plans');
    expect(pageFor('forgot-password', true)).toBe('plans');
    expect(pageFor('nowhere', true)).toBe('plans');
  });

  it('opens the pages of mailed links signed in and signed out', () => {
    for (const signedIn of [false, true]) {
      expect(pageFor('reset-password', signedIn)).toBe('reset-password');
      expect(pageFor('verify-email', signedIn)).toBe('verify-email');
    }
  });
});

describe('tokenOf', () => {
  it('reads the token of a mailed link', () => {
    expect(tokenOf('/verify-email?token=xyz')).toBe('xyz');
    expect(tokenOf('#/reset-password?lang=ko&token=xyz')).toBe('xyz');
  });

  it('is null without one, or with a blank one', () => {
    expect(tokenOf('/verify-email')).toBeNull();
    expect(tokenOf('/verify-email?token=')).toBeNull();
    expect(tokenOf('/verify-email?token=%20')).toBeNull();
  });
});

describe('withoutToken', () => {
  it('drops the token and keeps the page and any other parameter', () => {
    expect(withoutToken('/verify-email?token=xyz')).toBe('/verify-email');
    expect(withoutToken('#/reset-password?token=xyz&lang=ko')).toBe('/reset-password?lang=ko');
    expect(withoutToken('/plans')).toBe('/plans');
  });
});

describe('once', () => {
  it('starts one request per key, and a second caller shares its answer', async () => {
    const cache = new Map();
    const start = vi.fn(async () => 'verified');
    const first = once(cache, 'token-1', start);
    const second = once(cache, 'token-1', start); // StrictMode's second effect
    expect(second).toBe(first);
    expect(await second).toBe('verified');
    await once(cache, 'token-2', start);
    expect(start).toHaveBeenCalledTimes(2);
  });
});

describe('tokenSettled', () => {
  const failure = (status) => ({ response: { status } });

  it('is true once the server used or refused the token', () => {
    expect(tokenSettled(undefined)).toBe(true);
    expect(tokenSettled(failure(400))).toBe(true);
    expect(tokenSettled(failure(409))).toBe(true);
  });

  it('is false when the server did not answer it, so the link may be tried again', () => {
    expect(tokenSettled({ message: 'Network Error' })).toBe(false);
    expect(tokenSettled(failure(503))).toBe(false);
  });
});
