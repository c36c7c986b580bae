// What the user reads when something fails: client-side checks first (so each field
// gets its own message), then the server's error code mapped to the page's words.

import { errorCode } from './api.js';

// The server has the final say (email-validator); this only catches the obvious.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Check a new account's fields; the message of the first problem, or null. */
export function checkNewAccount(email, password, t) {
  if (!EMAIL.test(email.trim())) return t.errors.badEmail;
  const length = [...password].length; // code points, as the server counts them
  if (length < 8 || length > 1024) return t.errors.badPassword;
  return null;
}

/** Check sign-in fields; the message of the first problem, or null. */
export function checkSignIn(email, password, t) {
  if (!EMAIL.test(email.trim())) return t.errors.badEmail;
  if (!password) return t.errors.noPassword;
  return null;
}

/**
 * The message for a failed request.
 *
 * @param {unknown} error an axios error
 * @param {object} t the page's dictionary
 * @param {'credentials'|'plan'} [subject] what a 422 was about
 */
export function describeError(error, t, subject = 'credentials') {
  if (!error?.response) return t.errors.network;
  const code = errorCode(error);
  switch (code) {
    case 'invalid_credentials':
    case 'email_taken':
    case 'account_disabled':
    case 'not_found':
      return t.errors[code];
    case 'too_many_attempts':
      return t.errors.too_many_attempts(Number(error.response.headers?.['retry-after']) || 60);
    case 'validation_error':
      return subject === 'plan' ? t.errors.badTitle : t.errors.badCredentials;
    default: {
      const detail = error.response.data?.detail;
      return t.errors.unknown(typeof detail === 'string' ? detail : `HTTP ${error.response.status}`);
    }
  }
}
