// What the user reads when something fails: client-side checks first (so each field
// gets its own message), then the server's error code mapped to the page's words.

import { errorCode } from './api.js';

// The server has the final say (email-validator); this only catches the obvious.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Check an email address; the message if it is obviously not one, or null. */
export function checkEmail(email, t) {
  return EMAIL.test(email.trim()) ? null : t.errors.badEmail;
}

/** Check a new password's length (code points, as the server counts them), or null. */
export function checkNewPassword(password, t) {
  const length = [...password].length;
  return length < 8 || length > 1024 ? t.errors.badPassword : null;
}

/** Check a new account's fields; the message of the first problem, or null. */
export function checkNewAccount(email, password, t) {
  return checkEmail(email, t) ?? checkNewPassword(password, t);
}

/** Check sign-in fields; the message of the first problem, or null. */
export function checkSignIn(email, password, t) {
  return checkEmail(email, t) ?? (password ? null : t.errors.noPassword);
}

/** Check the change-email form (new address, current password), or null. */
export function checkEmailChange(newEmail, currentEmail, password, t) {
  const problem = checkEmail(newEmail, t);
  if (problem) return problem;
  if (newEmail.trim().toLowerCase() === String(currentEmail).toLowerCase()) return t.errors.sameEmail;
  return password ? null : t.errors.noPassword;
}

/** The server's own message of a failed request (already in the page's language), or null. */
export function serverDetail(error) {
  const detail = error?.response?.data?.detail;
  return typeof detail === 'string' && detail ? detail : null;
}

// What a code means on a given form, where it differs from the general message.
//   credentials: sign in, create account     plan: the plans list
//   mail: forgot password, resend verification (429: the server's words)
//   password: set a new password from a link   link: a verification link
//   account: settings (the current password, a new address), the "confirm it's you" step
//   mfa: the code step of sign-in, and the authenticator app's setup (security page)
const BY_SUBJECT = {
  credentials: { validation_error: (t) => t.errors.badCredentials },
  plan: { validation_error: (t) => t.errors.badTitle },
  mail: {
    validation_error: (t) => t.errors.badEmail,
    too_many_attempts: (t, error) => serverDetail(error) ?? retryLater(t, error),
  },
  password: {
    validation_error: (t) => t.errors.badPassword,
    link_invalid: (t) => t.errors.link_invalid,
  },
  link: {
    link_invalid: (t) => t.errors.link_invalid,
    email_taken: (t) => t.errors.emailTakenOnVerify,
  },
  mfa: {
    validation_error: (t) => t.errors.badTotp,
    too_many_attempts: (t, error) => serverDetail(error) ?? retryLater(t, error),
  },
  // passkey: the passkeys section of the security page, and signing in with a passkey
  passkey: {
    passkey_invalid: (t, error) => serverDetail(error) ?? t.errors.passkey_invalid,
    validation_error: (t) => t.errors.badPasskeyName,
    not_found: (t) => t.errors.passkeyGone,
    too_many_attempts: (t, error) => serverDetail(error) ?? retryLater(t, error),
  },
  // admin: the admin page (a 403 is "not an admin" or "not your own account": the server says which)
  admin: {
    forbidden: (t, error) => serverDetail(error) ?? t.errors.forbidden,
    not_found: (t) => t.errors.userGone,
    validation_error: (t, error) => serverDetail(error) ?? t.errors.unknown('HTTP 422'),
  },
  // role: adding or removing one of an account's roles on the admin page
  role: {
    forbidden: (t, error) => serverDetail(error) ?? t.errors.forbidden,
    not_found: (t) => t.errors.userGone,
    validation_error: (t, error) => serverDetail(error) ?? t.errors.badRole,
  },
  account: {
    invalid_credentials: (t) => t.errors.wrongPassword,
    email_taken: (t) => t.errors.emailInUse,
    validation_error: (t) => t.errors.badEmail,
    too_many_attempts: (t, error) => serverDetail(error) ?? retryLater(t, error),
  },
};

function retryLater(t, error) {
  return t.errors.too_many_attempts(Number(error.response.headers?.['retry-after']) || 60);
}

/**
 * The message for a failed request.
 *
 * @param {unknown} error an axios error
 * @param {object} t the page's dictionary
 * @param {'credentials'|'plan'|'mail'|'password'|'link'|'account'|'mfa'|'passkey'|'admin'|'role'} [subject] the form
 *   it came from (see BY_SUBJECT)
 */
export function describeError(error, t, subject = 'credentials') {
  if (!error?.response) return t.errors.network;
  const code = errorCode(error);
  const special = BY_SUBJECT[subject]?.[code];
  if (special) return special(t, error);
  switch (code) {
    case 'invalid_credentials':
    case 'email_taken':
    case 'account_disabled':
    case 'not_found':
    case 'link_invalid':
      return t.errors[code];
    case 'too_many_attempts':
      return retryLater(t, error);
    case 'validation_error':
      return t.errors.badCredentials;
    case 'email_unverified': // sign-in refused until the address is verified: the server says why
      return serverDetail(error) ?? t.errors.email_unverified;
    case 'passkey_invalid': // a refused passkey: the server's words
      return serverDetail(error) ?? t.errors.passkey_invalid;
    case 'mfa_invalid': // a wrong, reused or expired code: the server's words
      return serverDetail(error) ?? t.errors.mfa_invalid;
    case 'forbidden': // not allowed (the admin pages): the server says why
      return serverDetail(error) ?? t.errors.forbidden;
    case 'mfa_exists':
    case 'mfa_missing':
    case 'reauth_required':
      return t.errors[code];
    default:
      return t.errors.unknown(serverDetail(error) ?? `HTTP ${error.response.status}`);
  }
}
