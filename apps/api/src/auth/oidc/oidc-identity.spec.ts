import { describe, expect, it } from '@jest/globals';
import { readIdentity, roleFromIdentity } from './oidc-identity.js';

const base = { iss: 'https://idp.example.com', sub: 'abc' };

describe('readIdentity', () => {
  it('reads the address, its verification, the name and the roles claim', () => {
    expect(readIdentity({ ...base, email: 'ada@example.com', email_verified: true, name: ' Ada ', groups: ['a', 7, 'b', null] }, 'groups')).toEqual({
      issuer: base.iss,
      subject: 'abc',
      email: 'ada@example.com',
      emailVerified: true,
      displayName: 'Ada',
      roleValues: ['a', 'b'],
    });
  });

  it('trusts only a boolean true as verified, and only a valid address as an address', () => {
    expect(readIdentity({ ...base, email: 'ada@example.com', email_verified: 'true' }, undefined).emailVerified).toBe(false);
    for (const email of ['not an address', 42, 'a\u0000@example.com', `${'a'.repeat(320)}@example.com`]) {
      expect(readIdentity({ ...base, email, email_verified: true }, undefined)).toEqual(expect.objectContaining({ email: undefined, emailVerified: false }));
    }
  });

  it('stores a name without control characters or ill-formed text, cut to 100 characters, else the preferred user name', () => {
    expect(readIdentity({ ...base, name: 'Ada\u0007\nLovelace' }, undefined).displayName).toBe('Ada  Lovelace');
    expect(readIdentity({ ...base, name: '😀'.repeat(150) }, undefined).displayName).toBe('😀'.repeat(100));
    expect(readIdentity({ ...base, name: 'a\ud800', preferred_username: 'ada' }, undefined).displayName).toBe('ada');
    expect(readIdentity({ ...base, name: '   ' }, undefined).displayName).toBeUndefined();
  });

  it('reads a string roles claim as one value, and a missing one as none', () => {
    expect(readIdentity({ ...base, roles: 'Chat.Admin' }, 'roles').roleValues).toEqual(['Chat.Admin']);
    expect(readIdentity(base, 'roles').roleValues).toEqual([]);
    expect(readIdentity({ ...base, roles: 'Chat.Admin' }, undefined).roleValues).toBeUndefined();
  });
});

describe('roleFromIdentity', () => {
  const settings = { adminValues: ['admins'] };
  const bootstrap = (email: string) => email === 'boss@example.com';
  const identity = (overrides: object) => ({ ...readIdentity(base, 'groups'), ...overrides });

  it('follows the roles claim both ways, and leaves the role alone without one', () => {
    expect(roleFromIdentity(identity({ roleValues: ['staff', 'admins'] }), settings, bootstrap)).toBe('admin');
    expect(roleFromIdentity(identity({ roleValues: ['staff', 'Admins'] }), settings, bootstrap)).toBe('member');
    expect(roleFromIdentity(identity({ roleValues: undefined }), settings, bootstrap)).toBeUndefined();
  });

  it('makes a bootstrap address admin only when verified', () => {
    expect(roleFromIdentity(identity({ email: 'boss@example.com', emailVerified: true, roleValues: undefined }), settings, bootstrap)).toBe('admin');
    expect(roleFromIdentity(identity({ email: 'boss@example.com', emailVerified: false, roleValues: [] }), settings, bootstrap)).toBe('member');
  });
});
