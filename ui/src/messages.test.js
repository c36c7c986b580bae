import { describe, expect, it } from 'vitest';
import { sessionLost } from './api.js';
import { DICTIONARIES } from './i18n.js';
import {
  checkEmail,
  checkEmailChange,
  checkNewAccount,
  checkNewPassword,
  checkSignIn,
  describeError,
} from './messages.js';

const t = DICTIONARIES.en;

/** An axios-like error with an authgate answer. */
function answer(status, code, detail = 'from the server', headers = {}) {
  return { response: { status, data: { code, detail }, headers } };
}

describe('the form checks', () => {
  it('check email addresses and new passwords (length in code points)', () => {
    expect(checkEmail(' ann@example.com ', t)).toBeNull();
    expect(checkEmail('ann@', t)).toBe(t.errors.badEmail);
    expect(checkNewPassword('1234567', t)).toBe(t.errors.badPassword);
    expect(checkNewPassword('12345678', t)).toBeNull();
    expect(checkNewPassword('😀'.repeat(8), t)).toBeNull();
    expect(checkNewPassword('x'.repeat(1025), t)).toBe(t.errors.badPassword);
  });

  it('keep the sign-in and create-account rules', () => {
    expect(checkNewAccount('nope', 'short', t)).toBe(t.errors.badEmail);
    expect(checkNewAccount('ann@example.com', 'short', t)).toBe(t.errors.badPassword);
    expect(checkSignIn('ann@example.com', '', t)).toBe(t.errors.noPassword);
    expect(checkSignIn('ann@example.com', 'x', t)).toBeNull();
  });

  it('check a change of address: a real one, not the current one, with the password', () => {
    expect(checkEmailChange('nope', 'ann@example.com', 'pw', t)).toBe(t.errors.badEmail);
    expect(checkEmailChange(' ANN@example.com', 'ann@example.com', 'pw', t)).toBe(t.errors.sameEmail);
    expect(checkEmailChange('new@example.com', 'ann@example.com', '', t)).toBe(t.errors.noPassword);
    expect(checkEmailChange('new@example.com', 'ann@example.com', 'pw', t)).toBeNull();
  });
});

describe('describeError', () => {
  it('keeps the messages of sign-in and plans', () => {
    expect(describeError(answer(401, 'invalid_credentials'), t)).toBe(t.errors.invalid_credentials);
    expect(describeError(answer(422, 'validation_error'), t)).toBe(t.errors.badCredentials);
    expect(describeError(answer(422, 'validation_error'), t, 'plan')).toBe(t.errors.badTitle);
    expect(describeError(answer(429, 'too_many_attempts', 'x', { 'retry-after': '120' }), t)).toBe(
      t.errors.too_many_attempts(120),
    );
    expect(describeError({ message: 'Network Error' }, t, 'mail')).toBe(t.errors.network);
  });

  it("shows the server's message for a refused unverified sign-in and mail limits", () => {
    expect(describeError(answer(403, 'email_unverified', 'Verify first'), t)).toBe('Verify first');
    expect(describeError(answer(403, 'email_unverified', ''), t)).toBe(t.errors.email_unverified);
    expect(describeError(answer(429, 'too_many_attempts', 'Slow down'), t, 'mail')).toBe('Slow down');
    expect(describeError(answer(422, 'validation_error'), t, 'mail')).toBe(t.errors.badEmail);
  });

  it('words link and settings failures for their page', () => {
    expect(describeError(answer(400, 'link_invalid'), t, 'password')).toBe(t.errors.link_invalid);
    expect(describeError(answer(422, 'validation_error'), t, 'password')).toBe(t.errors.badPassword);
    expect(describeError(answer(400, 'link_invalid'), t, 'link')).toBe(t.errors.link_invalid);
    expect(describeError(answer(409, 'email_taken'), t, 'link')).toBe(t.errors.emailTakenOnVerify);
    expect(describeError(answer(401, 'invalid_credentials'), t, 'account')).toBe(t.errors.wrongPassword);
    expect(describeError(answer(409, 'email_taken'), t, 'account')).toBe(t.errors.emailInUse);
  });

  it('words the second factor: the server says what was wrong with a code', () => {
    expect(describeError(answer(401, 'mfa_invalid', 'The code is wrong'), t, 'mfa')).toBe('The code is wrong');
    expect(describeError(answer(401, 'mfa_invalid', ''), t)).toBe(t.errors.mfa_invalid);
    expect(describeError(answer(409, 'mfa_exists'), t, 'mfa')).toBe(t.errors.mfa_exists);
    expect(describeError(answer(409, 'mfa_missing'), t, 'mfa')).toBe(t.errors.mfa_missing);
    expect(describeError(answer(403, 'reauth_required'), t, 'mfa')).toBe(t.errors.reauth_required);
    expect(describeError(answer(422, 'validation_error'), t, 'mfa')).toBe(t.errors.badTotp);
    expect(describeError(answer(429, 'too_many_attempts', 'Wait'), t, 'mfa')).toBe('Wait');
  });

  it("words the admin page's refusals: the server says why, a gone user is named", () => {
    const self = answer(403, 'forbidden', 'an admin cannot disable their own account');
    expect(describeError(self, t, 'admin')).toBe('an admin cannot disable their own account');
    expect(describeError(answer(403, 'forbidden', ''), t, 'admin')).toBe(t.errors.forbidden);
    expect(describeError(answer(403, 'forbidden', 'No'), t)).toBe('No');
    expect(describeError(answer(404, 'not_found'), t, 'admin')).toBe(t.errors.userGone);
    expect(describeError(answer(404, 'not_found'), t)).toBe(t.errors.not_found);
  });

  it("words a refused role change: the server's rule or refusal, else the page's", () => {
    const rule = 'a role is 1 to 32 of a-z, 0-9, _ and -, starting with a letter';
    expect(describeError(answer(422, 'validation_error', rule), t, 'role')).toBe(rule);
    expect(describeError(answer(422, 'validation_error', ''), t, 'role')).toBe(t.errors.badRole);
    const own = answer(403, 'forbidden', 'an admin cannot take the admin role from themselves');
    expect(describeError(own, t, 'role')).toBe('an admin cannot take the admin role from themselves');
    expect(describeError(answer(403, 'forbidden', ''), t, 'role')).toBe(t.errors.forbidden);
    expect(describeError(answer(404, 'not_found'), t, 'role')).toBe(t.errors.userGone);
  });

  it('falls back to the server detail for codes it does not know', () => {
    expect(describeError(answer(418, 'teapot', 'I am a teapot'), t)).toBe('Something went wrong: I am a teapot');
    expect(describeError({ response: { status: 502, data: '' } }, t)).toBe('Something went wrong: HTTP 502');
  });
});

describe('sessionLost', () => {
  it('is a 401 other than a wrong password', () => {
    expect(sessionLost(answer(401, 'token_revoked'))).toBe(true);
    expect(sessionLost(answer(401, 'refresh_invalid'))).toBe(true);
    expect(sessionLost(answer(401, 'invalid_credentials'))).toBe(false);
    expect(sessionLost(answer(401, 'mfa_invalid'))).toBe(false);
    expect(sessionLost(answer(409, 'email_taken'))).toBe(false);
    expect(sessionLost({ message: 'Network Error' })).toBe(false);
  });
});

describe('the dictionaries', () => {
  it('have every English word in Korean too, of the same kind', () => {
    const shape = (dictionary) =>
      Object.fromEntries(
        Object.entries(dictionary).map(([key, value]) => [
          key,
          typeof value === 'object' ? shape(value) : typeof value,
        ]),
      );
    expect(shape(DICTIONARIES.ko)).toEqual(shape(DICTIONARIES.en));
  });
});
