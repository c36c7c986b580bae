import { describe, expect, it } from 'vitest';
import { authorizationQuery, isLooping, resumeUrl, scopesOf, upstreamOutcome } from './oidc.js';

function memoryStorage() {
  const data = new Map();
  return { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => data.set(k, String(v)) };
}

describe('the authorization request through sign-in', () => {
  it('resumes at /oauth/authorize with the same query', () => {
    const params = new URLSearchParams('client_id=a&redirect_uri=https%3A%2F%2Frp%2Fcb&state=x');
    expect(resumeUrl(authorizationQuery(params))).toBe(
      '/oauth/authorize?client_id=a&redirect_uri=https%3A%2F%2Frp%2Fcb&state=x',
    );
  });

  it('stops a loop: the same request sent back within seconds', () => {
    const storage = memoryStorage();
    expect(isLooping('q', storage, 1000)).toBe(false);
    expect(isLooping('q', storage, 3000)).toBe(true);
    expect(isLooping('q', storage, 20000)).toBe(false);
    expect(isLooping('other', storage, 20001)).toBe(false);
  });

  it('describes only the scopes it knows', () => {
    expect(scopesOf(new URLSearchParams('scope=openid+email+profile'))).toEqual(['openid', 'email']);
  });
});

describe('the outcome of a sign-in through another provider', () => {
  it('carries the second step', () => {
    const outcome = upstreamOutcome(new URLSearchParams('mfa_token=t&methods=totp,recovery_code&expires_in=300'), 0);
    expect(outcome.challenge).toEqual({ token: 't', methods: ['totp', 'recovery_code'], expiresAt: 300000 });
    expect(outcome.error).toBe(null);
  });

  it('carries the failure', () => {
    expect(upstreamOutcome(new URLSearchParams('oidc_error=email_taken'))).toEqual({ challenge: null, error: 'email_taken' });
  });
});
