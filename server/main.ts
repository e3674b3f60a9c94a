import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createServer, type McpHttpServer } from './app';
import { ApiKeyStore, REVOCATION_CHANNEL } from './auth/api-keys';
import { OAuthVerifier } from './auth/oauth';
import { type Cache, LocalCache, RedisCache } from './cache/cache';
import { isLoopback, type RedisEndpoint, type ServerConfig } from './config';
import { allowListFor } from './guard';
import { createLogger } from './logger';
import { migrate } from './store/migrations';
import { EmbeddedPostgres, PostgresPool, type SqlClient } from './store/sql';
import type { ServerExtension } from './mcp/handler';
import type { Tracing } from './telemetry/operations';
import type { ToolDefinition } from './tools/tool';

export interface StartOptions {
  readonly serverInfo: { readonly name: string; readonly version: string };
  /** Tools to offer; default the memory tools. */
  readonly tools?: readonly ToolDefinition[];
  readonly logger?: Logger;
  /** Registers extra tools, resources and prompts on every request's MCP server. */
  readonly extend?: ServerExtension;
  /**
   * Tracing, started with `startTracing` before this module was loaded (see `cli/serve.ts`):
   * every MCP message gets a span, and shutdown flushes what is buffered.
   */
  readonly tracing?: Tracing;
}

/** Time the drain leaves the last spans to reach the collector; the pod's grace period covers it. */
const TRACE_FLUSH_MS = 5000;

export interface RunningServer {
  readonly server: McpHttpServer;
  readonly http: Server;
  /** The base URL the server listens on, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /**
   * Graceful stop: not ready at once, every response from then on ends its connection; after the
   * shutdown delay, stop accepting once connections have stopped coming; let in-flight requests
   * finish (all within the drain timeout), then close the pools and flush the spans (at most 5 s).
   */
  shutdown(): Promise<void>;
}

/** Host (and port) of a connection URL, without credentials, for logs. */
function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

/** Connects to Redis without ever queueing commands: a down Redis makes calls fail fast. */
export function connectRedis(
  target: string | RedisEndpoint,
  commandTimeoutMs: number,
  logger: Logger,
): Redis {
  const where =
    typeof target === 'string'
      ? describeUrl(target)
      : `${target.tls ? 'rediss' : 'redis'}://${target.host}:${target.port}`;
  const options = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2000,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
  };
  const redis =
    typeof target === 'string'
      ? new Redis(target, options)
      : new Redis({
          ...options,
          host: target.host,
          port: target.port,
          ...(target.username ? { username: target.username } : {}),
          ...(target.password ? { password: target.password } : {}),
          ...(target.tls ? { tls: { servername: target.host } } : {}),
        });
  let up = false;
  redis.on('ready', () => {
    if (!up) logger.info({ redis: where }, 'Redis connected');
    up = true;
  });
  redis.on('error', (error) => {
    if (up) logger.warn({ err: error.message }, 'Redis connection lost: cache bypassed, retrying');
    up = false;
  });
  return redis;
}

/**
 * Closes the Redis connection. QUIT fails when Redis is unreachable, and the client would then
 * keep reconnecting (and the process running) forever; disconnect() stops that.
 */
async function closeRedis(redis: Redis | undefined): Promise<void> {
  if (!redis) return;
  try {
    await redis.quit();
  } catch {
    // Not connected: nothing to say goodbye to.
  } finally {
    redis.disconnect();
  }
}

/** How long the server must have been idle before its listener closes: see closeListener. */
const QUIET_MS = 1000;

/**
 * Stops accepting connections once the server has been idle for a second (no request in
 * progress, no new connection), at the latest at `latestAt` (a `performance.now()` time).
 *
 * Closing a listening socket makes the kernel reset every connection still in its accept queue:
 * connections whose handshake the kernel completed and whose clients have already sent their
 * request, which then read a reset. So the listener closes only once connections have stopped
 * coming (the load balancers caught up, and no client waits for an answer before it connects
 * again), and it decides in the check phase, right after the poll phase accepted whatever the
 * kernel had queued.
 */
function closeListener(http: Server, idleMs: () => number, latestAt: number): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      setImmediate(() => {
        if (idleMs() < QUIET_MS && performance.now() < latestAt) return;
        clearInterval(poll);
        http.close();
        resolve();
      });
    }, 100);
  });
}

/**
 * Starts the server from its configuration: opens Postgres (or PGlite) and Redis, migrates when
 * asked, listens, and keeps the up/down gauges fresh. Resolves once it is listening.
 */
export async function startServer(config: ServerConfig, options: StartOptions): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  let db: SqlClient;
  let cache: Cache;
  let redis: Redis | undefined;
  let apiKeys: ApiKeyStore | undefined;
  let revocations: { close(): Promise<void> } | undefined;
  if (config.mode === 'embedded') {
    logger.info('starting embedded Postgres (PGlite)');
    db = await EmbeddedPostgres.open(config.embeddedDataDir);
    cache = new LocalCache(config.cacheTtlSeconds);
  } else {
    db = new PostgresPool({
      ...(config.databaseUrl === undefined ? {} : { url: config.databaseUrl }),
      ...(config.postgresEndpoint ? { endpoint: config.postgresEndpoint } : {}),
      max: config.pg.poolMax,
      connectTimeoutMs: config.pg.connectTimeoutMs,
      statementTimeoutMs: config.pg.statementTimeoutMs,
      idleTimeoutMs: config.pg.idleTimeoutMs,
      logger,
    });
    redis = connectRedis(
      config.redisUrl ?? (config.redisEndpoint as RedisEndpoint),
      config.redisCommandTimeoutMs,
      logger,
    );
    await redis.connect().catch((error: Error) => {
      logger.warn({ err: error.message }, 'Redis unreachable at start-up: serving without cache, retrying');
    });
    cache = new RedisCache(redis, config.cacheTtlSeconds, logger);
    const keys = new ApiKeyStore(db);
    apiKeys = keys;
    // Revocations anywhere reach this replica at once; the 30 s cache is the fallback while
    // the notification connection is down.
    revocations = (db as PostgresPool).listen(REVOCATION_CHANNEL, (id) => keys.evict(id));
  }
  if (config.migrateOnStart) await migrate(db, logger);

  const oauth = config.auth.oauth;
  const server = createServer({
    logger,
    db,
    cache,
    ...(redis ? { redis } : {}),
    serverInfo: options.serverInfo,
    ...(options.tools ? { tools: options.tools } : {}),
    ...(options.extend ? { extend: options.extend } : {}),
    ...(options.tracing ? { tracer: options.tracing.tracer } : {}),
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    ...(() => {
      const allowList = allowListFor({
        ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
        loopback: isLoopback(config.bindAddress),
      });
      return allowList ? { allowList } : {};
    })(),
    auth: {
      enabled: config.auth.enabled,
      requiredScope: config.auth.requiredScope,
      failuresPerMinute: config.auth.failuresPerMinute,
      ...(apiKeys ? { apiKeys } : {}),
      ...(oauth && config.publicUrl
        ? {
            oauth: new OAuthVerifier({
              issuer: oauth.issuer,
              jwksUrl: oauth.jwksUrl,
              audiences: [`${config.publicUrl}/mcp`, config.publicUrl],
              tenantClaim: oauth.tenantClaim,
            }),
            issuer: oauth.issuer,
          }
        : {}),
    },
    rateLimit: config.rateLimit,
    responseTimeoutMs: config.responseTimeoutSeconds * 1000,
    maxBodyBytes: config.maxBodyBytes,
    trustProxyHops: config.trustProxyHops,
  });

  const http = await new Promise<Server>((resolve, reject) => {
    const listening = createHttpServer(
      {
        // A client that sends its request slowly (or never finishes it) gets 408 and its socket
        // back within this, checked every second; answers and streams are not limited by it.
        requestTimeout: config.requestTimeoutSeconds * 1000,
        headersTimeout: config.requestTimeoutSeconds * 1000,
        connectionsCheckingInterval: 1000,
      },
      server.app,
    );
    listening.maxConnections = config.maxConnections;
    listening.once('error', reject);
    // A deep accept backlog: bursts of new connections must queue, not be refused.
    listening.listen({ port: config.port, host: config.bindAddress, backlog: 4096 }, () =>
      resolve(listening),
    );
  });
  // Longer than the load balancer's idle timeout, so the balancer closes idle connections first
  // (otherwise it may reuse one the server just closed and answer 502).
  http.keepAliveTimeout = config.keepAliveTimeoutSeconds * 1000;
  const { address, port } = http.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `http://${host}:${port}`;

  const health = setInterval(() => void server.readiness(), 5000);
  health.unref();
  void server.readiness();

  if (config.mode === 'embedded') {
    logger.info(
      { url, database: config.embeddedDataDir ? `PGlite in ${config.embeddedDataDir}` : 'PGlite in memory' },
      'mcpenv reference server listening',
    );
    logger.warn(
      'embedded mode: PGlite, in-process cache and rate limits, auth OFF, loopback only; ' +
        'set DATABASE_URL, REDIS_URL and PUBLIC_URL to run in production',
    );
  } else {
    logger.info(
      {
        url,
        publicUrl: config.publicUrl,
        database: config.databaseDescription,
        redis: config.redisUrl
          ? describeUrl(config.redisUrl)
          : `${config.redisEndpoint?.host}:${config.redisEndpoint?.port}${config.redisEndpoint?.tls ? ' (TLS)' : ''}`,
        oauth: Boolean(oauth),
      },
      'mcpenv reference server listening',
    );
  }

  // Responses in progress, and when the server last had anything to do: see shutdown.
  const responses = new Set<ServerResponse>();
  let lastActivityAt = performance.now();
  http.on('connection', () => {
    lastActivityAt = performance.now();
  });
  http.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    responses.add(response);
    response.once('close', () => {
      responses.delete(response);
      lastActivityAt = performance.now();
    });
  });

  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= (async () => {
      server.startDraining();
      // Requests that started before the drain end their connection too, so no client reuses a
      // connection the server is about to close.
      for (const response of responses) {
        if (!response.headersSent) response.setHeader('connection', 'close');
      }
      clearInterval(health);
      logger.info(
        { delaySeconds: config.shutdownDelaySeconds, drainTimeoutSeconds: config.drainTimeoutSeconds },
        'draining',
      );
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDelaySeconds * 1000));
      const drainMs = config.drainTimeoutSeconds * 1000;
      const forceAt = performance.now() + drainMs;
      const drained = new Promise<void>((resolve) => http.once('close', () => resolve()));
      // With no delay nothing is expected to route here any more: stop accepting at once.
      await closeListener(
        http,
        () => (responses.size > 0 ? 0 : performance.now() - lastActivityAt),
        config.shutdownDelaySeconds === 0 ? performance.now() : performance.now() + drainMs / 2,
      );
      logger.info('stopped accepting connections');
      const force = setTimeout(
        () => {
          logger.warn('drain timeout reached: closing remaining connections');
          http.closeAllConnections();
        },
        Math.max(0, forceAt - performance.now()),
      );
      force.unref();
      // Keep-alive connections that finish a request while draining become idle only later:
      // close them as they do, so the drain ends with the last in-flight request.
      const sweep = setInterval(() => http.closeIdleConnections(), 100);
      await drained;
      clearTimeout(force);
      clearInterval(sweep);
      await server.close();
      await revocations?.close();
      await Promise.allSettled([db.close(), closeRedis(redis)]);
      await options.tracing?.shutdown(TRACE_FLUSH_MS);
      logger.info('stopped');
    })();
    return closing;
  };
  return { server, http, url, shutdown };
}
