import { AxiosError } from 'axios';
import { describe, expect, it, vi } from 'vitest';
import { createClient } from './api.js';
import { DICTIONARIES } from './i18n.js';
import {
  MFA_TOKEN_ATTEMPTS,
  ReauthCancelled,
  challengeOf,
  challengeOver,
  cleanCode,
  groupSecret,
  loginWithCode,
  loginWithPassword,
  needsReauth,
  otpauthLink,
  recoveryCodesText,
  svgDataUri,
  withReauth,
} from './mfa.js';

/** An axios-like error with an authgate answer. */
function answer(status, data) {
  return { response: { status, data, headers: {} } };
}

const MFA_REQUIRED = {
  detail: 'Enter the code from your authenticator app',
  code: 'mfa_required',
  mfa_token: 'mfa-token-1',
  methods: ['totp', 'recovery_code'],
  expires_in: 300,
};

describe('challengeOf', () => {
  it('reads the second step out of a 403 mfa_required', () => {
    expect(challengeOf(answer(403, MFA_REQUIRED), 1_000)).toEqual({
      token: 'mfa-token-1',
      methods: ['totp', 'recovery_code'],
      expiresAt: 301_000,
    });
  });

  it('is null for other failures', () => {
    expect(challengeOf(answer(401, { code: 'invalid_credentials' }))).toBeNull();
    expect(challengeOf(answer(403, { code: 'email_unverified' }))).toBeNull();
    expect(challengeOf(answer(403, { ...MFA_REQUIRED, mfa_token: '' }))).toBeNull();
    expect(challengeOf({ message: 'Network Error' })).toBeNull();
  });

  it('falls back to the app code and five minutes when the answer leaves them out', () => {
    const { methods, expiresAt } = challengeOf(answer(403, { code: 'mfa_required', mfa_token: 't' }), 0);
    expect(methods).toEqual(['totp']);
    expect(expiresAt).toBe(300_000);
  });
});

describe('challengeOver', () => {
  const challenge = { token: 't', methods: ['totp'], expiresAt: 10_000 };

  it('is over after five wrong codes', () => {
    expect(MFA_TOKEN_ATTEMPTS).toBe(5);
    expect(challengeOver(challenge, 4, 0)).toBe(false);
    expect(challengeOver(challenge, 5, 0)).toBe(true);
  });

  it('is over when its time has run out', () => {
    expect(challengeOver(challenge, 0, 9_999)).toBe(false);
    expect(challengeOver(challenge, 0, 10_000)).toBe(true);
  });
});

describe('cleanCode', () => {
  it('takes six digits from the app, without the spaces and dashes people type', () => {
    expect(cleanCode('123456', 'totp')).toBe('123456');
    expect(cleanCode(' 123 456 ', 'totp')).toBe('123456');
    expect(cleanCode('123-456', 'totp')).toBe('123456');
    expect(cleanCode('12345', 'totp')).toBeNull();
    expect(cleanCode('1234567', 'totp')).toBeNull();
    expect(cleanCode('12345a', 'totp')).toBeNull();
    expect(cleanCode('', 'totp')).toBeNull();
  });

  it('sends a recovery code as typed, trimmed', () => {
    expect(cleanCode('  abcd-efgh ', 'recovery_code')).toBe('abcd-efgh');
    expect(cleanCode('   ', 'recovery_code')).toBeNull();
    expect(cleanCode('x'.repeat(65), 'recovery_code')).toBeNull();
  });
});

describe('groupSecret', () => {
  it('groups a base32 secret in fours', () => {
    expect(groupSecret('JBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP');
    expect(groupSecret('JBSWY3DPEHPK3PXPAB')).toBe('JBSW Y3DP EHPK 3PXP AB');
    expect(groupSecret('JBSW Y3DP\nEHPK')).toBe('JBSW Y3DP EHPK');
    expect(groupSecret('')).toBe('');
    expect(groupSecret(undefined)).toBe('');
  });

  it('keeps every character, so the grouped key without spaces is the secret', () => {
    const secret = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    expect(groupSecret(secret).replaceAll(' ', '')).toBe(secret);
  });
});

describe('svgDataUri', () => {
  it('is a base64 data: URL of the document, UTF-8 included', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><title>인증 — QR</title></svg>';
    const uri = svgDataUri(svg);
    expect(uri.startsWith('data:image/svg+xml;base64,')).toBe(true);
    const bytes = Uint8Array.from(atob(uri.split(',')[1]), (c) => c.charCodeAt(0));
    expect(new TextDecoder().decode(bytes)).toBe(svg);
  });

  it('handles a large document', () => {
    const svg = `<svg>${'<rect x="1" y="1" width="1" height="1"/>'.repeat(5_000)}</svg>`;
    const bytes = Uint8Array.from(atob(svgDataUri(svg).split(',')[1]), (c) => c.charCodeAt(0));
    expect(new TextDecoder().decode(bytes)).toBe(svg);
  });
});

describe('otpauthLink', () => {
  it('keeps an otpauth://totp/ URI and nothing else', () => {
    const uri = 'otpauth://totp/authgate:ann%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=authgate';
    expect(otpauthLink(uri)).toBe(uri);
    expect(otpauthLink('javascript:alert(1)')).toBeNull();
    expect(otpauthLink('https://example.com')).toBeNull();
    expect(otpauthLink(undefined)).toBeNull();
  });
});

describe('recoveryCodesText', () => {
  it('is a titled plain-text file with one code a line', () => {
    const text = recoveryCodesText(['aaaa-bbbb', 'cccc-dddd'], {
      t: DICTIONARIES.en,
      email: 'ann@example.com',
      date: new Date('2026-12-03T07:30:59Z'),
    });
    expect(text).toBe(
      [
        'authgate recovery codes',
        'Account: ann@example.com',
        'Created: 2026-12-03 07:30 UTC',
        '',
        DICTIONARIES.en.codesFileHelp,
        '',
        'aaaa-bbbb',
        'cccc-dddd',
        '',
      ].join('\n'),
    );
  });

  it('is in the page language', () => {
    const text = recoveryCodesText(['x'], { t: DICTIONARIES.ko, email: 'a@b.c', date: new Date(0) });
    expect(text.split('\n').slice(0, 3)).toEqual([
      'authgate 복구 코드',
      '계정: a@b.c',
      '만든 시각: 1970-01-01 00:00 UTC',
    ]);
  });
});

describe('withReauth', () => {
  const reauth = answer(403, { code: 'reauth_required', detail: 'Sign in again' });

  it('runs the action once when it needs no recent sign-in', async () => {
    const action = vi.fn(async () => 'done');
    const confirm = vi.fn();
    expect(await withReauth(action, confirm)).toBe('done');
    expect(action).toHaveBeenCalledTimes(1);
    expect(confirm).not.toHaveBeenCalled();
  });

  it('asks to confirm on reauth_required, then retries the action once', async () => {
    const order = [];
    const action = vi.fn(async () => {
      order.push('action');
      if (order.length === 1) throw reauth;
      return 'done';
    });
    const confirm = vi.fn(async () => order.push('confirm'));
    expect(await withReauth(action, confirm)).toBe('done');
    expect(order).toEqual(['action', 'confirm', 'action']);
  });

  it('does not loop: a second reauth_required reaches the caller', async () => {
    const action = vi.fn(async () => {
      throw reauth;
    });
    const confirm = vi.fn(async () => {});
    await expect(withReauth(action, confirm)).rejects.toBe(reauth);
    expect(action).toHaveBeenCalledTimes(2);
    expect(confirm).toHaveBeenCalledTimes(1);
  });

  it('passes other failures through without asking', async () => {
    const conflict = answer(409, { code: 'mfa_exists' });
    const confirm = vi.fn();
    await expect(withReauth(() => Promise.reject(conflict), confirm)).rejects.toBe(conflict);
    expect(confirm).not.toHaveBeenCalled();
  });

  it('stops when the person cancels, without running the action again', async () => {
    const action = vi.fn(async () => {
      throw reauth;
    });
    const cancelled = new ReauthCancelled();
    await expect(withReauth(action, () => Promise.reject(cancelled))).rejects.toBe(cancelled);
    expect(action).toHaveBeenCalledTimes(1);
  });

  it('knows reauth_required only as a 403', () => {
    expect(needsReauth(reauth)).toBe(true);
    expect(needsReauth(answer(401, { code: 'reauth_required' }))).toBe(false);
    expect(needsReauth(answer(403, { code: 'csrf_failed' }))).toBe(false);
  });
});

describe('the sign-in steps on the client', () => {
  /** A fake authgate for login and login/mfa; records what was sent. */
  function fake() {
    const sent = [];
    const lost = [];
    async function adapter(config) {
      const body = JSON.parse(config.data ?? '{}');
      sent.push({ url: config.url, params: config.params, body });
      const reply = (status, data) => {
        const response = { status, statusText: '', data, headers: {}, config };
        if (status < 400) return response;
        throw new AxiosError(`HTTP ${status}`, 'ERR_BAD_REQUEST', config, null, response);
      };
      if (config.url === '/auth/login') {
        if (body.password !== 'right password') return reply(401, { code: 'invalid_credentials', detail: '' });
        if (body.email === 'plain@example.com') return reply(200, { token_type: 'bearer', expires_in: 900 });
        return reply(403, MFA_REQUIRED);
      }
      if (config.url === '/auth/login/mfa') {
        if (body.code === '123456') return reply(200, { token_type: 'bearer', expires_in: 900 });
        return reply(401, { code: 'mfa_invalid', detail: 'The code is wrong, already used or expired' });
      }
      return reply(404, { code: 'not_found', detail: '' });
    }
    const api = createClient({ adapter, csrf: () => 'c', lock: (_n, task) => task(), onSessionLost: (r) => lost.push(r) });
    return { api, sent, lost };
  }

  it('signs in without a second step where there is no authenticator app', async () => {
    const { api, sent } = fake();
    expect(await loginWithPassword(api, 'plain@example.com', 'right password')).toBeNull();
    expect(sent[0].params).toEqual({ transport: 'cookie' });
  });

  it('turns mfa_required into a challenge, and sends the code with its token in cookies', async () => {
    const { api, sent, lost } = fake();
    const challenge = await loginWithPassword(api, 'ann@example.com', 'right password');
    expect(challenge.token).toBe('mfa-token-1');
    const wrong = await loginWithCode(api, challenge, '000000').catch((e) => e);
    expect(wrong.response.status).toBe(401);
    expect(wrong.response.data.code).toBe('mfa_invalid');
    await loginWithCode(api, challenge, '123456');
    expect(sent.at(-1)).toEqual({
      url: '/auth/login/mfa',
      params: { transport: 'cookie' },
      body: { mfa_token: 'mfa-token-1', code: '123456' },
    });
    expect(lost).toEqual([]); // a wrong code is not a lost session
  });

  it('lets a wrong password through to the form', async () => {
    const { api } = fake();
    const failure = await loginWithPassword(api, 'ann@example.com', 'nope').catch((e) => e);
    expect(failure.response.data.code).toBe('invalid_credentials');
  });
});
