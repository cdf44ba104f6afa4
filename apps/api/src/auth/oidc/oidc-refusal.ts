/**
 * Why a single sign-on callback did not sign anyone in: sent to the portal as `?error=<code>`, since the browser
 * arrives at the callback from the provider and has nowhere else to go.
 */
export const OIDC_REFUSALS = [
  /** No sign-in of this browser to answer: the flow cookie is missing, expired or forged, or the state differs. */
  'invalid_state',
  /** The user (or the provider's policy) declined the sign-in at the provider. */
  'access_denied',
  /** The provider answered the sign-in with another error. */
  'idp_error',
  /** The code could not be redeemed or the ID token was not valid for this sign-in (replayed code, wrong nonce, bad signature). */
  'login_failed',
  /** The provider could not be reached, or failed, while the sign-in was completed. */
  'idp_unavailable',
  /** The provider sent no usable e-mail address, which a new account needs. */
  'email_missing',
  /** The e-mail address belongs to another account, which this identity may not take over (see OIDC_LINK_BY_EMAIL). */
  'account_exists',
  /** The account is disabled. */
  'account_disabled',
] as const;

export type OidcRefusalCode = (typeof OIDC_REFUSALS)[number];

export class OidcRefusal extends Error {
  constructor(
    readonly code: OidcRefusalCode,
    /** For the log: what exactly went wrong (a library's message); never shown to the user. */
    readonly detail: string,
    /** The account concerned, once the provider has said who signed in. */
    readonly userId?: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'OidcRefusal';
  }
}
