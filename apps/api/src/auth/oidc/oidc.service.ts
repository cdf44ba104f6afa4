import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import * as openid from 'openid-client';
import { AppError } from '@app/common';
import { LoginCodesRepository, type UserEntity, type UserRole, UsersRepository } from '@app/persistence';
import { SYSTEM_ACTOR } from '../../audit/audit-actions.js';
import { AuditService } from '../../audit/audit.service.js';
import type { RequestOrigin } from '../../audit/request-origin.decorator.js';
import { AccountRevocation } from '../account-revocation.service.js';
import { AuthService, type IssuedSession } from '../auth.service.js';
import { SignInPolicy } from '../sign-in.policy.js';
import { OIDC_CLIENT, type OidcClient } from './oidc-client.provider.js';
import { OIDC_FLOW_TTL_SECONDS, type OidcFlow } from './oidc-flow.js';
import { type OidcIdentity, readIdentity, roleFromIdentity } from './oidc-identity.js';
import { OidcRefusal } from './oidc-refusal.js';

/** The one-time code in the portal's URL: redeemed within a minute, once. */
export const LOGIN_CODE_TTL_SECONDS = 60;

/** The users table's limits for the identity columns. */
const MAX_ISSUER = 500;
const MAX_SUBJECT = 255;

/** 256 random bits need no slow hash: SHA-256 makes a stolen table useless and lookups cheap. */
function hashLoginCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

/** A network failure or a timeout (fetch's TypeError, an aborted request), however deep openid-client wrapped it, or a 5xx. */
function isUnreachable(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof TypeError || current.name === 'TimeoutError' || current.name === 'AbortError') return true;
  }
  return error instanceof openid.ClientError && error.cause instanceof Response && error.cause.status >= 500;
}

/** What a failure of the provider exchange means for the user. */
function refusalOf(error: unknown): OidcRefusal {
  if (error instanceof openid.AuthorizationResponseError) {
    return new OidcRefusal(error.error === 'access_denied' ? 'access_denied' : 'idp_error', `${error.error}: ${error.error_description ?? ''}`);
  }
  return new OidcRefusal(isUnreachable(error) ? 'idp_unavailable' : 'login_failed', describe(error));
}

/**
 * Single sign-on with an OpenID provider: the authorization code flow with PKCE, state and nonce (openid-client),
 * then the account of the provider's subject (created at the first sign-in, or linked to an existing account only
 * as OIDC_LINK_BY_EMAIL allows), its role re-mapped from the roles claim at every sign-in, and a one-time code for
 * the portal, which it exchanges for the same sign-in as a password login. Tokens never appear in a URL.
 */
@Injectable()
export class OidcService {
  private readonly logger = new Logger(OidcService.name);

  constructor(
    @Inject(OIDC_CLIENT) private readonly client: OidcClient | null,
    private readonly users: UsersRepository,
    private readonly loginCodes: LoginCodesRepository,
    private readonly auth: AuthService,
    private readonly policy: SignInPolicy,
    private readonly revocation: AccountRevocation,
    private readonly audit: AuditService,
  ) {}

  private sso(): OidcClient {
    if (!this.client) throw new AppError('SSO_NOT_CONFIGURED', 'Single sign-on is not configured on this server');
    return this.client;
  }

  /** The provider's authorization URL for a new sign-in, and the flow the browser must bring back to the callback. */
  async beginLogin(): Promise<{ url: string; flow: OidcFlow }> {
    const { configuration, settings } = this.sso();
    const flow: OidcFlow = {
      state: openid.randomState(),
      nonce: openid.randomNonce(),
      codeVerifier: openid.randomPKCECodeVerifier(),
      expiresAt: Date.now() + OIDC_FLOW_TTL_SECONDS * 1000,
    };
    const url = openid.buildAuthorizationUrl(configuration, {
      redirect_uri: settings.redirectUri,
      scope: settings.scopes,
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await openid.calculatePKCECodeChallenge(flow.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, flow };
  }

  /**
   * Completes a sign-in from the provider's redirect back (`parameters` is its query) and answers where the browser
   * goes next: the portal with `?code=` (a one-time code), or with `?error=` (an OidcRefusal code). Failures of the
   * sign-in itself never throw; the database's do (503 while it is down).
   */
  async completeLogin(flow: OidcFlow | null, parameters: URLSearchParams, origin: RequestOrigin): Promise<string> {
    const portal = new URL(this.sso().settings.postLoginRedirect);
    try {
      const identity = await this.verify(flow, parameters);
      const user = await this.accountOf(identity, origin);
      portal.searchParams.set('code', await this.issueLoginCode(user.id));
    } catch (error) {
      if (!(error instanceof OidcRefusal)) throw error;
      this.logger.warn(`Single sign-on refused (${error.code}): ${error.detail}`);
      await this.audit.record(
        { actor: SYSTEM_ACTOR, action: 'auth.login_failed', target: error.userId ?? null, detail: { method: 'oidc', reason: error.code } },
        origin,
      );
      portal.searchParams.set('error', error.code);
    }
    return portal.href;
  }

  /** Redeems a one-time code from the callback's redirect for a sign-in, once, within LOGIN_CODE_TTL_SECONDS. */
  async exchange(code: string, origin: RequestOrigin): Promise<IssuedSession> {
    this.sso();
    const userId = await this.loginCodes.redeem(hashLoginCode(code));
    const user = userId === null ? null : await this.users.findSelf(userId);
    // Disabled since the callback: the code dies with the account's right to sign in.
    if (!user || user.disabledAt) throw new AppError('LOGIN_CODE_INVALID', 'The sign-in code is invalid, expired or already used: sign in again');
    const session = await this.auth.signIn(user);
    await this.audit.record({ actor: user.id, action: 'auth.login', target: user.id, detail: { method: 'oidc' } }, origin);
    return session;
  }

  /** Checks the redirect against the flow, redeems the code at the provider and reads who signed in. */
  private async verify(flow: OidcFlow | null, parameters: URLSearchParams): Promise<OidcIdentity> {
    if (!flow) throw new OidcRefusal('invalid_state', 'no sign-in flow cookie, or one that is expired or not sealed by this server');
    if (parameters.get('state') !== flow.state) throw new OidcRefusal('invalid_state', "the state does not match this browser's sign-in");
    const { configuration, settings } = this.sso();
    const callback = new URL(settings.redirectUri);
    callback.search = parameters.toString();
    let claims: Record<string, unknown> & { iss: string; sub: string };
    try {
      const tokens = await openid.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims()!;
      claims = idToken;
      // Providers that follow the spec strictly release scope claims (email, groups) through userinfo only.
      const missing = idToken.email === undefined || (settings.rolesClaim !== undefined && idToken[settings.rolesClaim] === undefined);
      if (missing && configuration.serverMetadata().userinfo_endpoint) {
        const userInfo = await openid.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
        // The ID token is signed: where both carry a claim, its value stands.
        claims = { ...userInfo, ...idToken };
      }
    } catch (error) {
      throw refusalOf(error);
    }
    if (claims.iss.length > MAX_ISSUER || claims.sub.length > MAX_SUBJECT) throw new OidcRefusal('login_failed', 'the issuer or subject is longer than we store');
    return readIdentity(claims, settings.rolesClaim);
  }

  /** The account of this identity, found, linked or created, enabled, and with the role this sign-in gives it. */
  private async accountOf(identity: OidcIdentity, origin: RequestOrigin): Promise<UserEntity> {
    const role = roleFromIdentity(identity, this.sso().settings, (email) => this.policy.isBootstrapAdmin(email));
    const user = (await this.users.findByOidcIdentity(identity.issuer, identity.subject)) ?? (await this.firstSignIn(identity, role ?? 'member', origin));
    if (user.disabledAt) throw new OidcRefusal('account_disabled', `account ${user.id} is disabled`, user.id);
    if (role === undefined || role === user.role) return user;
    // The same guarded change as an administrator's: the provider cannot demote the last enabled admin either
    // (nobody would be left to administer); that account keeps its role until another admin exists.
    const change = await this.users.setRole(user.id, role);
    if (change.outcome !== 'done') {
      this.logger.warn(`Single sign-on would demote ${user.id}, the last enabled admin: the role is kept`);
      return user;
    }
    // Tokens issued before carry no role: the guard reads it from the account's state, which every replica must
    // read again now. The user's replies may go on: a new role takes nothing away that a running reply needs.
    await this.revocation.announce(user.id, { endStreams: false });
    await this.audit.record({ actor: SYSTEM_ACTOR, action: 'user.role_changed', target: user.id, detail: { from: user.role, to: role, source: 'oidc' } }, origin);
    return change.result.user;
  }

  /** An identity never seen before: an existing account of its address (only as OIDC_LINK_BY_EMAIL allows), or a new one. */
  private async firstSignIn(identity: OidcIdentity, role: UserRole, origin: RequestOrigin): Promise<UserEntity> {
    const { issuer, subject, email } = identity;
    if (email === undefined) throw new OidcRefusal('email_missing', `the provider sent no e-mail address for subject ${subject}`);
    const existing = await this.users.findByEmail(email);
    if (existing) {
      if (this.sso().settings.linkByEmail && identity.emailVerified && (await this.users.linkOidcIdentity(existing.id, issuer, subject))) {
        this.logger.log(`Single sign-on identity linked to account ${existing.id} by its verified e-mail address`);
        return existing;
      }
      // Perhaps a concurrent first sign-in of the same identity linked it a moment ago.
      const linked = await this.users.findByOidcIdentity(issuer, subject);
      if (linked) return linked;
      throw new OidcRefusal('account_exists', `account ${existing.id} has this e-mail address and may not be linked to subject ${subject}`, existing.id);
    }
    const created = await this.users.createUser({
      email,
      passwordHash: null,
      displayName: identity.displayName ?? email.split('@')[0]!,
      role,
      oidcIssuer: issuer,
      oidcSubject: subject,
    });
    if (created) {
      await this.audit.record({ actor: created.id, action: 'user.registered', target: created.id, detail: { method: 'oidc', role: created.role } }, origin);
      return created;
    }
    // The address or the identity was taken between the reads and the insert: by this identity's other sign-in, or not.
    const raced = await this.users.findByOidcIdentity(issuer, subject);
    if (raced) return raced;
    throw new OidcRefusal('account_exists', `the e-mail address of subject ${subject} was registered meanwhile`);
  }

  private async issueLoginCode(userId: string): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    await this.loginCodes.create(userId, hashLoginCode(code), LOGIN_CODE_TTL_SECONDS);
    return code;
  }
}
