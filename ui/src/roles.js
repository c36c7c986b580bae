// Roles on the admin page (API.md §3.3): what is sent, and which change asks first.
// The server has the final say on a role's name (1 to 32 of a-z, 0-9, _ and -,
// starting with a letter): the page shows its 422 message as it comes.

/** The role that opens the admin page; taking it away is asked in the page first. */
export const ADMIN_ROLE = 'admin';

/** The role as typed, without the spaces around it (what is sent). */
export function typedRole(text) {
  return String(text ?? '').trim();
}

/** The message when there is nothing to send, or null (the name itself is the server's to check). */
export function checkRole(text, t) {
  return typedRole(text) ? null : t.errors.noRole;
}

/** Whether taking `role` away asks first: it is the role `admin`. */
export function asksBeforeRemoving(role) {
  return role === ADMIN_ROLE;
}

/** The path of one role of the account at `userPath` (`/admin/users/{id}`). */
export function rolePath(userPath, role) {
  return `${userPath}/roles/${encodeURIComponent(role)}`;
}
