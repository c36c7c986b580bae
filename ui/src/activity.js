// Security events (API.md §3.3) as people read them: a label per type, the admin's
// view of who acted and the event's details, and dates in the page's language.

/** Every event type the server records (core/events.py EVENT_TYPES). */
export const EVENT_TYPES = [
  'registered',
  'login',
  'login_failed',
  'mfa_failed',
  'locked_out',
  'logout',
  'logout_all',
  'refresh_reused',
  'session_revoked',
  'sessions_revoked',
  'password_changed',
  'password_reset',
  'email_verified',
  'email_changed',
  'account_deleted',
  'account_disabled',
  'account_enabled',
  'role_added',
  'role_removed',
  'mfa_enabled',
  'mfa_disabled',
  'recovery_codes_renewed',
  'passkey_added',
  'passkey_removed',
  'key_rotated',
];

/** The label of an event type; a type this UI does not know yet shows as it is. */
export function eventLabel(type, t) {
  return Object.hasOwn(t.eventTypes, type) ? t.eventTypes[type] : String(type);
}

/**
 * What an admin reads beside an event: "by an administrator" when someone else acted
 * on the account, and the event's details (`key: value`), or null when there is none.
 */
export function eventNote(event, t) {
  const parts = [];
  if (event.actor_id && event.actor_id !== event.user_id) parts.push(t.byAdmin);
  for (const [key, value] of Object.entries(event.detail ?? {})) {
    if (value !== null && value !== undefined && value !== '') parts.push(`${key}: ${value}`);
  }
  return parts.length ? parts.join(' · ') : null;
}

/** Date and time in the page's language (App sets <html lang>), or `language`. */
export function dateFormat(language = globalThis.document?.documentElement?.lang || undefined) {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A timestamp of the API (ISO 8601) formatted, or `fallback` when there is none. */
export function formatWhen(format, value, fallback = '') {
  if (!value) return fallback;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : format.format(date);
}
