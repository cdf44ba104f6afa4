/**
 * What GET /login leaves with the browser for GET /callback: the state that ties the callback to a login this
 * browser started, the nonce the ID token must carry, and the PKCE verifier that proves the code is ours to redeem.
 */
export interface OidcFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Epoch milliseconds; a flow older than this is refused, whatever the browser kept. */
  expiresAt: number;
}

/** Long enough to sign in at the provider (a password, a second factor), short enough to be no standing credential. */
export const OIDC_FLOW_TTL_SECONDS = 600;

export function isOidcFlow(value: unknown): value is OidcFlow {
  const flow = value as Partial<OidcFlow> | null;
  return (
    typeof flow === 'object' &&
    flow !== null &&
    typeof flow.state === 'string' &&
    typeof flow.nonce === 'string' &&
    typeof flow.codeVerifier === 'string' &&
    typeof flow.expiresAt === 'number'
  );
}
