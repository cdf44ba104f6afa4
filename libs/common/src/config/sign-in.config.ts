import { registerAs } from '@nestjs/config';
import { isIP } from 'node:net';
import { ConfigError, EnvReader, type Env } from './env-reader.js';

export const REGISTRATION_MODES = ['open', 'closed', 'domains'] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

const OIDC_VARIABLES = [
  'OIDC_CLIENT_ID',
  'OIDC_CLIENT_SECRET',
  'OIDC_REDIRECT_URI',
  'OIDC_SCOPES',
  'OIDC_ROLES_CLAIM',
  'OIDC_ADMIN_VALUES',
  'OIDC_POST_LOGIN_REDIRECT',
  'OIDC_LINK_BY_EMAIL',
] as const;

/** A DNS name as e-mail domains are written: labels of letters, digits and hyphens. */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const EMAIL = /^[^@\s]{1,64}@[^@\s]{1,255}$/;
/** Scope tokens as RFC 6749 defines them: printable ASCII but space, `"` and `\`. */
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Single sign-on with an OpenID provider; present only when OIDC_ISSUER_URL is set. */
export interface OidcSettings {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  /** Our callback as the provider redirects the browser to it (the public URL, behind any proxy). */
  redirectUri: string;
  scopes: string;
  /** The claim (ID token or userinfo) whose values decide the role; absent: SSO does not manage roles. */
  rolesClaim: string | undefined;
  adminValues: string[];
  /** The portal page that receives `?code=` (or `?error=`) after a sign-in. */
  postLoginRedirect: string;
  /** Attach a first SSO sign-in to the existing account with the same, provider-verified, e-mail address. */
  linkByEmail: boolean;
}

/** Loopback hosts, where plain HTTP never leaves the machine (local development, tests). */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  return isIP(hostname) === 4 && hostname.startsWith('127.');
}

/** An absolute http(s) URL without a fragment; https unless the host is loopback. */
function webUrl(read: EnvReader, variable: string): string | undefined {
  const raw = read.url(variable, ['https:', 'http:']);
  if (raw === undefined) return undefined;
  const url = new URL(raw);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) throw new ConfigError(variable, 'must use https: (http: only on a loopback host)');
  if (url.hash || raw.includes('#')) throw new ConfigError(variable, 'may not have a fragment (#…)');
  if (url.username || url.password) throw new ConfigError(variable, 'may not carry a user name or password');
  return raw;
}

function parseOidcSettings(read: EnvReader): OidcSettings | null {
  const issuerUrl = webUrl(read, 'OIDC_ISSUER_URL');
  if (issuerUrl === undefined) {
    // Set without the issuer, a variable does nothing: most likely a misspelt or forgotten OIDC_ISSUER_URL.
    const stray = OIDC_VARIABLES.find((variable) => read.string(variable) !== undefined);
    if (stray) throw new ConfigError(stray, 'is set but OIDC_ISSUER_URL is not; single sign-on needs the issuer');
    return null;
  }
  if (new URL(issuerUrl).search) throw new ConfigError('OIDC_ISSUER_URL', 'may not have a query string (an issuer identifier has none)');
  const required = (variable: string): string => {
    const value = read.string(variable);
    if (value === undefined) throw new ConfigError(variable, 'is required when OIDC_ISSUER_URL is set');
    return value;
  };
  const clientId = required('OIDC_CLIENT_ID');
  const clientSecret = required('OIDC_CLIENT_SECRET');
  const redirectUri = webUrl(read, 'OIDC_REDIRECT_URI') ?? required('OIDC_REDIRECT_URI');
  // The provider appends the code and state to it, and the token request repeats it without any query.
  if (new URL(redirectUri).search) throw new ConfigError('OIDC_REDIRECT_URI', 'may not have a query string');
  const postLoginRedirect = webUrl(read, 'OIDC_POST_LOGIN_REDIRECT') ?? required('OIDC_POST_LOGIN_REDIRECT');

  const scopes = read.string('OIDC_SCOPES', 'openid email profile').split(/\s+/);
  if (!scopes.includes('openid')) throw new ConfigError('OIDC_SCOPES', 'must include openid');
  const badScope = scopes.find((scope) => !SCOPE.test(scope));
  if (badScope !== undefined) throw new ConfigError('OIDC_SCOPES', `has an invalid scope "${badScope}"`);

  const rolesClaim = read.string('OIDC_ROLES_CLAIM');
  if (rolesClaim !== undefined && rolesClaim.length > 200) throw new ConfigError('OIDC_ROLES_CLAIM', 'must be a claim name of at most 200 characters');
  const adminValues = read.list('OIDC_ADMIN_VALUES');
  if (rolesClaim === undefined && adminValues.length) throw new ConfigError('OIDC_ADMIN_VALUES', 'needs OIDC_ROLES_CLAIM, the claim whose values it lists');
  if (rolesClaim !== undefined && !adminValues.length) throw new ConfigError('OIDC_ADMIN_VALUES', 'is required when OIDC_ROLES_CLAIM is set');

  return {
    issuerUrl,
    clientId,
    clientSecret,
    redirectUri,
    scopes: scopes.join(' '),
    rolesClaim,
    adminValues,
    postLoginRedirect,
    linkByEmail: read.bool('OIDC_LINK_BY_EMAIL', false),
  };
}

/** How people may sign in and who may create an account: passwords, self-registration, single sign-on, bootstrap admins. */
export function parseSignInConfig(env: Env) {
  const read = new EnvReader(env);
  const registration = read.oneOf('REGISTRATION', REGISTRATION_MODES, 'open');
  const registrationDomains = read.list('REGISTRATION_DOMAINS').map((domain) => domain.toLowerCase().replace(/^@/, ''));
  const badDomain = registrationDomains.find((domain) => !DOMAIN.test(domain));
  if (badDomain !== undefined) throw new ConfigError('REGISTRATION_DOMAINS', `has an invalid domain "${badDomain}"`);
  if (registration === 'domains' && !registrationDomains.length) throw new ConfigError('REGISTRATION_DOMAINS', 'is required when REGISTRATION=domains');
  // Set without REGISTRATION=domains the list would restrict nothing, while its operator believes it does.
  if (registration !== 'domains' && registrationDomains.length) throw new ConfigError('REGISTRATION_DOMAINS', 'is only read when REGISTRATION=domains');

  const adminEmails = read.list('ADMIN_EMAILS').map((email) => email.toLowerCase());
  const badEmail = adminEmails.find((email) => !EMAIL.test(email));
  if (badEmail !== undefined) throw new ConfigError('ADMIN_EMAILS', `has an invalid e-mail address "${badEmail}"`);

  const passwordLogin = read.bool('AUTH_PASSWORD_LOGIN', true);
  const oidc = parseOidcSettings(read);
  if (!passwordLogin && !oidc) throw new ConfigError('AUTH_PASSWORD_LOGIN', 'may be false only with single sign-on (OIDC_ISSUER_URL): nobody could sign in');

  return {
    /** Password login, and with it password registration, is on. */
    passwordLogin,
    /** Who may create an account with a password; single sign-on creates accounts whatever this says. */
    registration,
    registrationDomains,
    /** Made admins when they register, or sign in through SSO with a verified address. */
    adminEmails,
    /** Null: single sign-on is off, and its routes answer 404. */
    oidc,
  };
}

export const signInConfig = registerAs('signIn', () => parseSignInConfig(process.env));
export type SignInConfig = ReturnType<typeof parseSignInConfig>;
