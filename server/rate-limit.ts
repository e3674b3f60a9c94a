import { throttledLog } from './log-throttle';
import { createHash } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import type { Logger as PinoLogger } from 'pino';
import type { ServerMetrics } from './metrics';
import type { Principal } from './tools/tool';

export interface RateLimitOptions {
  readonly perMinute: number;
  /** Shared counters across replicas; in-process counters when absent (embedded mode). */
  readonly redis?: Redis;
  /** Redis unreachable: `allow` lets requests through (fail open), `deny` answers 503 (fail closed). */
  readonly onRedisError: 'allow' | 'deny';
  readonly metrics: ServerMetrics;
  readonly logger: PinoLogger;
}

/**
 * express-rate-limit's log sink: JSON through pino instead of the console, and at most one line
 * per kind every 10 s, since a Redis outage would otherwise log once per request.
 */
function throttledLogger(logger: PinoLogger) {
  const log = throttledLog(logger);
  const adapt = (level: 'warn' | 'error') => (error: unknown, message?: string) =>
    log[level]({ err: (error as Error)?.message ?? String(error) }, message ?? 'rate limiter');
  return { error: adapt('error'), warn: adapt('warn') };
}

/**
 * Marks errors from the shared counter store, so the error handler can answer 503 for them. The
 * message stays Redis's own: rate-limit-redis recognises NOSCRIPT replies by it.
 */
export class RateLimitStoreError extends Error {
  constructor(cause: unknown) {
    super((cause as Error)?.message ?? String(cause));
    this.name = 'RateLimitStoreError';
  }
}

/**
 * Sends rate-limit-redis's commands through ioredis. `SCRIPT LOAD` answers with the script's
 * SHA-1 even when Redis is down: the store caches the loading promise forever, so a failure at
 * start-up would otherwise disable limits for good; an unknown script later gets NOSCRIPT, and
 * the store loads it again once Redis is back.
 */
function sendCommandVia(redis: Redis) {
  return async (command: string, ...args: string[]) => {
    try {
      return (await redis.call(command, ...args)) as never;
    } catch (error) {
      if (command.toUpperCase() === 'SCRIPT' && args[0]?.toUpperCase() === 'LOAD' && args[1] !== undefined) {
        return createHash('sha1').update(args[1]).digest('hex') as never;
      }
      throw new RateLimitStoreError(error);
    }
  };
}

/**
 * Per-principal rate limit on `/mcp`, shared by all replicas through Redis: 429 with
 * `Retry-After`, IETF `RateLimit` headers and a JSON-RPC error body. Without auth (embedded
 * mode) the client IP is the key.
 */
export function rateLimitByPrincipal(options: RateLimitOptions): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: options.perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    ...(options.redis
      ? { store: new RedisStore({ sendCommand: sendCommandVia(options.redis), prefix: 'mcp:rl:' }) }
      : {}),
    passOnStoreError: options.onRedisError === 'allow',
    logger: throttledLogger(options.logger),
    keyGenerator: (req, res: Response) => {
      const principal = res.locals.principal as Principal | undefined;
      return principal && principal.kind !== 'local'
        ? principal.id
        : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;
    },
    handler: (_req, res) => {
      options.metrics.rateLimitRejectionsTotal.inc({ endpoint: '/mcp' });
      res.status(429).json({
        jsonrpc: '2.0',
        error: {
          code: -32000,
          message: `Too many requests: the limit is ${options.perMinute} per minute; retry after the Retry-After header's seconds`,
        },
        id: null,
      });
    },
    // The store is shared on purpose; the IP checks do not apply to principal keys.
    validate: { singleCount: false, keyGeneratorIpFallback: false },
  });
}
