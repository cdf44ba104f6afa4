import { isWellFormedText, type OidcSettings } from '@app/common';
import type { UserRole } from '@app/persistence';
import { isEmailAddress } from '../is-email-address.decorator.js';

/** Who the provider says signed in, read from the ID token's claims (and userinfo's, where the ID token has none). */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  /** Absent when the provider sent none, or nothing that is an address. */
  email: string | undefined;
  /** Only `email_verified: true` counts: linking and ADMIN_EMAILS trust an address the provider vouches for, nothing less. */
  emailVerified: boolean;
  displayName: string | undefined;
  /** The roles claim's values; undefined when no roles claim is configured. */
  roleValues: string[] | undefined;
}

/** The users table's limits. */
const MAX_EMAIL = 320;
const MAX_DISPLAY_NAME = 100;

/** A claim's text as we store it: well-formed, without control characters, trimmed and cut to `max` characters. */
function text(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string' || !isWellFormedText(value)) return undefined;
  // eslint-disable-next-line no-control-regex
  const cleaned = value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return cleaned ? Array.from(cleaned).slice(0, max).join('') : undefined;
}

/** A string claim is one value; an array claim (`groups`, `roles`) its string members. */
function values(claim: unknown): string[] {
  if (typeof claim === 'string') return [claim];
  return Array.isArray(claim) ? claim.filter((value): value is string => typeof value === 'string') : [];
}

export function readIdentity(claims: Record<string, unknown> & { iss: string; sub: string }, rolesClaim: string | undefined): OidcIdentity {
  const email = typeof claims.email === 'string' && claims.email.length <= MAX_EMAIL && isEmailAddress(claims.email) ? claims.email : undefined;
  return {
    issuer: claims.iss,
    subject: claims.sub,
    email,
    emailVerified: email !== undefined && claims.email_verified === true,
    displayName: text(claims.name, MAX_DISPLAY_NAME) ?? text(claims.preferred_username, MAX_DISPLAY_NAME),
    roleValues: rolesClaim === undefined ? undefined : values(claims[rolesClaim]),
  };
}

/**
 * The role this sign-in gives the account, or undefined when single sign-on does not manage roles (no
 * OIDC_ROLES_CLAIM) and the address is no bootstrap admin's: the account then keeps the role it has. With a roles
 * claim the role follows the claim at every sign-in, both ways.
 */
export function roleFromIdentity(identity: OidcIdentity, settings: Pick<OidcSettings, 'adminValues'>, isBootstrapAdmin: (email: string) => boolean): UserRole | undefined {
  if (identity.email !== undefined && identity.emailVerified && isBootstrapAdmin(identity.email)) return 'admin';
  if (identity.roleValues === undefined) return undefined;
  return identity.roleValues.some((value) => settings.adminValues.includes(value)) ? 'admin' : 'member';
}
