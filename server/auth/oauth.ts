import type * as Jose from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import type { AuthFailureReason } from '@mcpenv/contract';

export interface OAuthSettings {
  readonly issuer: string;
  readonly jwksUrl: string;
  /** Accepted `aud` values: the MCP endpoint URL and the public origin. */
  readonly audiences: readonly string[];
  readonly tenantClaim: string;
}

export type TokenCheck =
  | {
      readonly ok: true;
      readonly subject: string;
      readonly tenant: string;
      readonly scopes: readonly string[];
    }
  | { readonly ok: false; readonly reason: AuthFailureReason; readonly description: string };

/** Asymmetric algorithms only: a shared-secret (HS*) token could be forged by anyone holding the secret. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

function scopesOf(payload: JWTPayload): string[] {
  if (typeof payload.scope === 'string') return payload.scope.split(' ').filter(Boolean);
  if (Array.isArray(payload.scp)) return payload.scp.filter((s): s is string => typeof s === 'string');
  if (typeof payload.scp === 'string') return payload.scp.split(' ').filter(Boolean);
  return [];
}

/** The authorization server's keys could not be fetched (down, timeout, not a JWKS). */
class IssuerUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`cannot fetch the JWKS: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'IssuerUnavailableError';
  }
}

/** Verifies OAuth 2.1 access tokens (JWTs) against the authorization server's JWKS. */
export class OAuthVerifier {
  private keys?: JWTVerifyGetKey;
  private jose?: typeof Jose;

  constructor(private readonly settings: OAuthSettings) {}

  private async load() {
    if (!this.jose || !this.keys) {
      const jose = await import('jose');
      const remote = jose.createRemoteJWKSet(new URL(this.settings.jwksUrl), {
        timeoutDuration: 5000,
        cooldownDuration: 30_000,
        cacheMaxAge: 10 * 60_000,
      });
      // A key the JWKS lacks is the token's fault; any other failure to get keys is ours.
      this.keys = async (header, token) => {
        try {
          return await remote(header, token);
        } catch (error) {
          if (
            error instanceof jose.errors.JWKSNoMatchingKey ||
            error instanceof jose.errors.JWKSMultipleMatchingKeys
          ) {
            throw error;
          }
          throw new IssuerUnavailableError(error);
        }
      };
      this.jose = jose;
    }
    return { jose: this.jose, keys: this.keys };
  }

  async verify(token: string): Promise<TokenCheck> {
    const { jose, keys } = await this.load();
    let payload: JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(token, keys, {
        issuer: this.settings.issuer,
        audience: [...this.settings.audiences],
        algorithms: ALGORITHMS,
        clockTolerance: 30,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      return { ok: false, ...classify(error, jose) };
    }
    const tenant = payload[this.settings.tenantClaim];
    if (typeof tenant !== 'string' || tenant.length === 0 || tenant.length > 200) {
      return {
        ok: false,
        reason: 'invalid_token',
        description: `the token has no ${this.settings.tenantClaim} claim naming the tenant`,
      };
    }
    return { ok: true, subject: String(payload.sub), tenant, scopes: scopesOf(payload) };
  }
}

function classify(error: unknown, jose: typeof Jose): { reason: AuthFailureReason; description: string } {
  const { errors } = jose;
  if (error instanceof errors.JWTExpired) return { reason: 'expired', description: 'the token has expired' };
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud')
      return { reason: 'wrong_audience', description: 'the token is for another resource' };
    if (error.claim === 'iss')
      return { reason: 'wrong_issuer', description: 'the token comes from another issuer' };
    return { reason: 'invalid_token', description: `the token's ${error.claim} claim is invalid` };
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return { reason: 'invalid_signature', description: 'the token signature does not verify' };
  }
  if (error instanceof IssuerUnavailableError) {
    return {
      reason: 'issuer_unavailable',
      description: 'the authorization server keys could not be fetched',
    };
  }
  return { reason: 'invalid_token', description: 'the token is not a valid JWT' };
}
