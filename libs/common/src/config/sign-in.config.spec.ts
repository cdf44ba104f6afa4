import { describe, expect, it } from '@jest/globals';
import { parseSignInConfig } from './sign-in.config.js';

const SSO = {
  OIDC_ISSUER_URL: 'https://login.example.com/realms/staff',
  OIDC_CLIENT_ID: 'chat',
  OIDC_CLIENT_SECRET: 'client-secret',
  OIDC_REDIRECT_URI: 'https://chat.example.com/api/auth/oidc/callback',
  OIDC_POST_LOGIN_REDIRECT: 'https://portal.example.com/signed-in',
};

describe('parseSignInConfig', () => {
  it('defaults to password login, open registration and no single sign-on', () => {
    expect(parseSignInConfig({})).toEqual({ passwordLogin: true, registration: 'open', registrationDomains: [], adminEmails: [], oidc: null });
  });

  it('reads single sign-on with its defaults', () => {
    expect(parseSignInConfig({ ...SSO, AUTH_PASSWORD_LOGIN: 'false', REGISTRATION: 'closed' })).toEqual({
      passwordLogin: false,
      registration: 'closed',
      registrationDomains: [],
      adminEmails: [],
      oidc: {
        issuerUrl: SSO.OIDC_ISSUER_URL,
        clientId: 'chat',
        clientSecret: 'client-secret',
        redirectUri: SSO.OIDC_REDIRECT_URI,
        scopes: 'openid email profile',
        rolesClaim: undefined,
        adminValues: [],
        postLoginRedirect: SSO.OIDC_POST_LOGIN_REDIRECT,
        linkByEmail: false,
      },
    });
  });

  it('reads the role mapping, scopes, linking, registration domains and admin e-mails', () => {
    const config = parseSignInConfig({
      ...SSO,
      OIDC_SCOPES: ' openid  email groups ',
      OIDC_ROLES_CLAIM: 'groups',
      OIDC_ADMIN_VALUES: 'chat-admins, 6f1c2d3e-0000-4000-8000-000000000000',
      OIDC_LINK_BY_EMAIL: 'true',
      REGISTRATION: 'domains',
      REGISTRATION_DOMAINS: 'Example.com, @staff.example.org',
      ADMIN_EMAILS: 'Boss@Example.com',
    });
    expect(config).toEqual(
      expect.objectContaining({ registration: 'domains', registrationDomains: ['example.com', 'staff.example.org'], adminEmails: ['boss@example.com'] }),
    );
    expect(config.oidc).toEqual(
      expect.objectContaining({ scopes: 'openid email groups', rolesClaim: 'groups', adminValues: ['chat-admins', '6f1c2d3e-0000-4000-8000-000000000000'], linkByEmail: true }),
    );
  });

  it('allows http: only for loopback hosts', () => {
    const local = { OIDC_ISSUER_URL: 'http://127.0.0.1:8080', OIDC_REDIRECT_URI: 'http://localhost:3000/api/auth/oidc/callback', OIDC_POST_LOGIN_REDIRECT: 'http://[::1]:5173/' };
    expect(parseSignInConfig({ ...SSO, ...local }).oidc).toEqual(
      expect.objectContaining({ issuerUrl: local.OIDC_ISSUER_URL, redirectUri: local.OIDC_REDIRECT_URI, postLoginRedirect: local.OIDC_POST_LOGIN_REDIRECT }),
    );
  });

  it.each([
    [{ AUTH_PASSWORD_LOGIN: 'false' }, 'AUTH_PASSWORD_LOGIN may be false only with single sign-on'],
    [{ REGISTRATION: 'invite' }, 'REGISTRATION must be one of open, closed, domains'],
    [{ REGISTRATION: 'domains' }, 'REGISTRATION_DOMAINS is required when REGISTRATION=domains'],
    [{ REGISTRATION_DOMAINS: 'example.com' }, 'REGISTRATION_DOMAINS is only read when REGISTRATION=domains'],
    [{ REGISTRATION: 'domains', REGISTRATION_DOMAINS: 'exa mple.com' }, 'REGISTRATION_DOMAINS has an invalid domain'],
    [{ ADMIN_EMAILS: 'boss' }, 'ADMIN_EMAILS has an invalid e-mail address "boss"'],
    [{ OIDC_CLIENT_ID: 'chat' }, 'OIDC_CLIENT_ID is set but OIDC_ISSUER_URL is not'],
    [{ ...SSO, OIDC_ISSUER_URL: 'login.example.com' }, 'OIDC_ISSUER_URL must be a valid URL'],
    [{ ...SSO, OIDC_ISSUER_URL: 'ftp://login.example.com' }, 'OIDC_ISSUER_URL must use https: or http:'],
    [{ ...SSO, OIDC_ISSUER_URL: 'http://login.example.com' }, 'OIDC_ISSUER_URL must use https: (http: only on a loopback host)'],
    [{ ...SSO, OIDC_ISSUER_URL: 'https://login.example.com/?tenant=1' }, 'OIDC_ISSUER_URL may not have a query string'],
    [{ ...SSO, OIDC_CLIENT_ID: '' }, 'OIDC_CLIENT_ID is required when OIDC_ISSUER_URL is set'],
    [{ ...SSO, OIDC_CLIENT_SECRET: undefined }, 'OIDC_CLIENT_SECRET is required when OIDC_ISSUER_URL is set'],
    [{ ...SSO, OIDC_REDIRECT_URI: undefined }, 'OIDC_REDIRECT_URI is required when OIDC_ISSUER_URL is set'],
    [{ ...SSO, OIDC_REDIRECT_URI: '/api/auth/oidc/callback' }, 'OIDC_REDIRECT_URI must be a valid URL'],
    [{ ...SSO, OIDC_REDIRECT_URI: 'http://chat.example.com/api/auth/oidc/callback' }, 'OIDC_REDIRECT_URI must use https:'],
    [{ ...SSO, OIDC_REDIRECT_URI: 'https://chat.example.com/callback#x' }, 'OIDC_REDIRECT_URI may not have a fragment'],
    [{ ...SSO, OIDC_REDIRECT_URI: 'https://chat.example.com/callback?from=sso' }, 'OIDC_REDIRECT_URI may not have a query string'],
    [{ ...SSO, OIDC_POST_LOGIN_REDIRECT: 'https://user:pw@portal.example.com/' }, 'OIDC_POST_LOGIN_REDIRECT may not carry a user name or password'],
    [{ ...SSO, OIDC_POST_LOGIN_REDIRECT: undefined }, 'OIDC_POST_LOGIN_REDIRECT is required when OIDC_ISSUER_URL is set'],
    [{ ...SSO, OIDC_SCOPES: 'email profile' }, 'OIDC_SCOPES must include openid'],
    [{ ...SSO, OIDC_SCOPES: 'openid "email"' }, 'OIDC_SCOPES has an invalid scope'],
    [{ ...SSO, OIDC_ROLES_CLAIM: 'groups' }, 'OIDC_ADMIN_VALUES is required when OIDC_ROLES_CLAIM is set'],
    [{ ...SSO, OIDC_ADMIN_VALUES: 'admins' }, 'OIDC_ADMIN_VALUES needs OIDC_ROLES_CLAIM'],
    [{ ...SSO, OIDC_LINK_BY_EMAIL: 'sometimes' }, 'OIDC_LINK_BY_EMAIL must be true or false'],
  ])('refuses %j', (env, message) => {
    expect(() => parseSignInConfig(env)).toThrow(`Invalid configuration: ${message}`);
  });
});
