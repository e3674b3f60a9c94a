import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { AuthFailureReason } from '@mcpenv/contract';
import { throttledLog } from '../log-throttle';
import type { ServerMetrics } from '../metrics';
import type { AuthFailureLimiter } from './failure-limit';
import type { Principal } from '../tools/tool';
import { type ApiKeyStore, looksLikeApiKey } from './api-keys';
import type { OAuthVerifier } from './oauth';

/** Used when auth is off (the embedded mode): everything belongs to one local tenant. */
export const LOCAL_PRINCIPAL: Principal = { id: 'local', tenant: 'local', scopes: [], kind: 'local' };

export interface AuthenticateOptions {
  readonly enabled: boolean;
  readonly requiredScope: string;
  readonly apiKeys?: ApiKeyStore;
  readonly oauth?: OAuthVerifier;
  /** Absolute URL of this resource's RFC 9728 metadata, advertised in `WWW-Authenticate`. */
  readonly resourceMetadataUrl?: string;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /**
   * Limits refusals (401) per client address: past its budget an address gets 429 before its
   * credentials are looked at. No limit when absent.
   */
  readonly failures?: AuthFailureLimiter;
  /** The client address `failures` counts by. */
  readonly clientAddress?: (req: Request) => string;
}

/** The principal `authenticate` attached to the response. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('authenticate must run before principalOf');
  return principal;
}

/** The scheme is case-insensitive (RFC 9110 §11.1); the token is RFC 6750's b64token. */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;

/**
 * Bearer authentication for `/mcp`: API keys (`mcpk_...`) or OAuth JWTs. Failures answer 401
 * (403 for a missing scope) with a `WWW-Authenticate` challenge pointing at the protected-resource
 * metadata, as the MCP authorization spec and RFC 6750/9728 describe. Tokens are never logged.
 */
export function authenticate(options: AuthenticateOptions): RequestHandler {
  const { metrics, requiredScope } = options;
  // Backend outages fail every request alike: one line per 10 s, not one per request.
  const outageLog = throttledLog(options.logger);

  function challenge(error?: string, description?: string, scope?: string): string {
    const parts = ['Bearer'];
    const params: string[] = [];
    if (options.resourceMetadataUrl) params.push(`resource_metadata="${options.resourceMetadataUrl}"`);
    if (error) params.push(`error="${error}"`);
    if (description) params.push(`error_description="${description.replace(/"/g, "'")}"`);
    if (scope) params.push(`scope="${scope}"`);
    return params.length > 0 ? `${parts[0]} ${params.join(', ')}` : parts[0];
  }

  /**
   * The body of a request refused for an address over its budget is not read: when it is still
   * arriving, the connection closes after the answer instead of the server reading (and
   * discarding) the rest, so a flood costs no more than its headers; the client may see the
   * connection break instead of the 429. Within the budget the rest of a body is read and
   * discarded, so a client with an expired token gets its 401 and the challenge whatever it sent.
   */
  function unreadBodyCloses(req: Request, res: Response) {
    if (!req.complete) res.setHeader('connection', 'close');
  }

  function tooMany(req: Request, res: Response, retryAfter: number) {
    metrics.rateLimitRejectionsTotal.inc({ endpoint: '/mcp' });
    unreadBodyCloses(req, res);
    res.setHeader('retry-after', String(retryAfter));
    res.status(429).json({
      jsonrpc: '2.0',
      error: {
        code: -32000,
        message:
          `Too many requests without valid credentials from this address (at most ` +
          `${options.failures?.perMinute} a minute): fix the Authorization header, then retry ` +
          `after the Retry-After header's seconds`,
      },
      id: null,
    });
  }

  async function fail(
    req: Request,
    res: Response,
    status: number,
    reason: AuthFailureReason,
    description: string,
    header?: string,
  ) {
    metrics.authFailuresTotal.inc({ reason });
    if (status === 401 && options.failures) {
      const retryAfter = await options.failures.record(addressOf(req)).catch(() => undefined);
      if (retryAfter !== undefined) {
        tooMany(req, res, retryAfter);
        return;
      }
    }
    if (header) res.setHeader('WWW-Authenticate', header);
    const title = status === 403 ? 'Forbidden' : status === 503 ? 'Service unavailable' : 'Unauthorized';
    res.status(status).json({
      jsonrpc: '2.0',
      error: { code: status === 503 ? -32603 : -32001, message: `${title}: ${description}` },
      id: null,
    });
  }

  function knownGoodKey(header: string | undefined): boolean {
    const token = header ? BEARER.exec(header)?.[1] : undefined;
    return Boolean(token && looksLikeApiKey(token) && options.apiKeys?.verifyCached(token)?.ok);
  }

  const addressOf = options.clientAddress ?? ((req: Request) => req.ip ?? 'unknown');

  return async (req: Request, res: Response, next: NextFunction) => {
    if (!options.enabled) {
      res.locals.principal = LOCAL_PRINCIPAL;
      next();
      return;
    }
    const blocked = options.failures?.retryAfter(addressOf(req));
    // An address over its budget may be shared (a NAT): a key this replica knows to be good
    // still passes, since checking it costs no query.
    if (blocked !== undefined && !knownGoodKey(req.get('authorization'))) {
      tooMany(req, res, blocked);
      return;
    }
    const header = req.get('authorization');
    if (!header) {
      await fail(req, res, 401, 'missing_token', 'send an Authorization: Bearer <token> header', challenge());
      return;
    }
    const token = BEARER.exec(header)?.[1];
    if (!token) {
      const description = 'the Authorization header must be "Bearer <token>"';
      await fail(req, res, 401, 'malformed_token', description, challenge('invalid_request', description));
      return;
    }
    let principal: Principal;
    try {
      if (looksLikeApiKey(token) && options.apiKeys) {
        const check = await options.apiKeys.verify(token);
        if (!check.ok) {
          const description =
            check.reason === 'revoked_key' ? 'the API key was revoked' : 'the API key is not valid';
          await fail(req, res, 401, check.reason, description, challenge('invalid_token', description));
          return;
        }
        principal = {
          id: `key:${check.key.id}`,
          tenant: check.key.tenant,
          scopes: check.key.scopes,
          kind: 'api-key',
        };
      } else if (options.oauth) {
        const check = await options.oauth.verify(token);
        if (!check.ok) {
          if (check.reason === 'issuer_unavailable') {
            outageLog.error({}, 'cannot fetch the authorization server JWKS');
            res.setHeader('retry-after', '5');
            await fail(req, res, 503, check.reason, check.description);
          } else {
            await fail(
              req,
              res,
              401,
              check.reason,
              check.description,
              challenge('invalid_token', check.description),
            );
          }
          return;
        }
        principal = {
          id: `oauth:${check.subject}`,
          tenant: check.tenant,
          scopes: check.scopes,
          kind: 'oauth',
        };
      } else {
        const description = 'this server accepts API keys only';
        await fail(req, res, 401, 'invalid_token', description, challenge('invalid_token', description));
        return;
      }
    } catch (error) {
      // The key store (Postgres) failed, not the caller: ask the client to retry.
      outageLog.error({ err: (error as Error).message }, 'authentication backend unavailable');
      res.setHeader('retry-after', '5');
      res.status(503).json({
        jsonrpc: '2.0',
        error: {
          code: -32603,
          message: 'Service unavailable: cannot check credentials right now; retry shortly',
        },
        id: null,
      });
      return;
    }
    if (!principal.scopes.includes(requiredScope)) {
      const description = `the token lacks the "${requiredScope}" scope`;
      await fail(
        req,
        res,
        403,
        'insufficient_scope',
        description,
        challenge('insufficient_scope', description, requiredScope),
      );
      return;
    }
    res.locals.principal = principal;
    next();
  };
}

/** RFC 9728 protected-resource metadata: tells clients which authorization server to use. */
export function protectedResourceMetadata(input: {
  resource: string;
  issuer?: string;
  requiredScope: string;
}): Record<string, unknown> {
  return {
    resource: input.resource,
    ...(input.issuer ? { authorization_servers: [input.issuer] } : {}),
    scopes_supported: [input.requiredScope],
    bearer_methods_supported: ['header'],
    resource_name: 'mcpenv team memory',
  };
}
