import { describe, expect, it } from 'vitest';
import { DICTIONARIES } from './i18n.js';
import { ADMIN_ROLE, asksBeforeRemoving, checkRole, rolePath, typedRole } from './roles.js';

const { en, ko } = DICTIONARIES;

describe('roles on the admin page', () => {
  it('sends the role as typed, without the spaces around it', () => {
    expect(typedRole('  auditor ')).toBe('auditor');
    expect(typedRole('Not A Role')).toBe('Not A Role'); // the server says why not
    expect(typedRole(undefined)).toBe('');
  });

  it('asks for a name only when nothing was typed; the rest is the server’s to check', () => {
    expect(checkRole('   ', en)).toBe(en.errors.noRole);
    expect(checkRole('', ko)).toBe(ko.errors.noRole);
    expect(checkRole('auditor', en)).toBeNull();
    expect(checkRole('BAD role!', en)).toBeNull();
  });

  it('asks first only before taking the role admin away', () => {
    expect(ADMIN_ROLE).toBe('admin');
    expect(asksBeforeRemoving('admin')).toBe(true);
    expect(asksBeforeRemoving('auditor')).toBe(false);
    expect(asksBeforeRemoving('admins')).toBe(false);
  });

  it('puts the role in the path, escaped', () => {
    expect(rolePath('/admin/users/u1', 'auditor')).toBe('/admin/users/u1/roles/auditor');
    expect(rolePath('/admin/users/u1', 'a/b c')).toBe('/admin/users/u1/roles/a%2Fb%20c');
  });

  it('words the changes in both languages', () => {
    for (const t of [en, ko]) {
      expect(t.removeRoleNamed('auditor')).toContain('auditor');
      expect(t.roleAddedDone('auditor')).toContain('auditor');
      expect(t.roleRemovedDone('auditor')).toContain('auditor');
      expect(t.removeAdminQuestion('a@example.com')).toContain('a@example.com');
    }
    expect(en.removeRoleNamed('auditor')).toBe('Remove role auditor');
  });
});
