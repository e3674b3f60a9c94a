import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type ApiKeyStore } from './auth/api-keys';
import { authenticate, principalOf, protectedResourceMetadata } from './auth/authenticate';
import { AuthFailureLimiter } from './auth/failure-limit';
import type { OAuthVerifier } from './auth/oauth';
import type { Cache } from './cache/cache';
import { type AllowList, hostAndOriginGuard } from './guard';
import {
  type ChangeRelay,
  LocalChangeRelay,
  RedisChangeRelay,
  TenantEventBus,
  type TenantEvent,
} from './mcp/change-bus';
import { createMcpHandler, type ServerExtension } from './mcp/handler';
import { throttledLog } from './log-throttle';
import { MAX_JSON_DEPTH, nestedDeeperThan, textNestsDeeperThan } from './mcp/json-limits';
import { createLegacyStreams } from './mcp/legacy-stream';
import { SseMessageReader } from './mcp/sse-messages';
import { ServerMetrics } from './metrics';
import { protocolVersionLabel, SSE_KEEPALIVE_INTERVAL_SECONDS } from '@mcpenv/contract';
import { RateLimitStoreError, rateLimitByPrincipal } from './rate-limit';
import { MemoryRepository } from './store/memories';
import { type MemoryChange, MemoryService } from './store/memory-service';
import { LATEST_VERSION, schemaVersion } from './store/migrations';
import type { SqlClient } from './store/sql';
import {
  type McpExchange,
  McpOperations,
  type MessageTracer,
  protocolVersionOf,
  rpcMethodLabel,
} from './telemetry/operations';
import { MEMORY_TOOLS } from './tools/memory';
import type { Principal, ToolDefinition } from './tools/tool';

export interface CreateServerOptions {
  readonly logger: Logger;
  /** Postgres (a pool, or PGlite in the embedded mode). */
  readonly db: SqlClient;
  readonly cache: Cache;
  /** Shared Redis for rate limits and health; absent in the embedded mode. */
  readonly redis?: Redis;
  /** Name and version the server reports in `initialize`. */
  readonly serverInfo?: { readonly name: string; readonly version: string };
  /** Tools to offer. Default: the memory tools. Add your own with `[...MEMORY_TOOLS, myTool]`. */
  readonly tools?: readonly ToolDefinition[];
  /** Text clients may show the model about how to use this server. */
  readonly instructions?: string;
  /** Public HTTPS origin; the MCP resource is `<publicUrl>/mcp`. */
  readonly publicUrl?: string;
  /** Host/Origin allow-list for `/mcp`; no check when absent. */
  readonly allowList?: AllowList;
  readonly auth: {
    readonly enabled: boolean;
    readonly requiredScope: string;
    readonly apiKeys?: ApiKeyStore;
    readonly oauth?: OAuthVerifier;
    readonly issuer?: string;
    /**
     * Requests one client address may have refused for want of valid credentials per minute,
     * across all replicas; past it, 429 before credentials or body are looked at. Default 30.
     */
    readonly failuresPerMinute?: number;
  };
  readonly rateLimit: { readonly perMinute: number; readonly onRedisError: 'allow' | 'deny' };
  /**
   * Time the server has to answer a request on `/mcp` (streams excepted), counted from its
   * arrival: past it the client gets a JSON-RPC error for each request id (HTTP 504), and a
   * response already streaming ends. A body still arriving is left to the request timeout.
   * Default 30 s.
   */
  readonly responseTimeoutMs?: number;
  /** Largest accepted request body. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Proxy hops whose X-Forwarded-For to trust. Default 0. */
  readonly trustProxyHops?: number;
  /** Timeout of each dependency check in `/readyz`. Default 1000 ms. */
  readonly healthTimeoutMs?: number;
  /** SSE keep-alive comment interval on streams. Default 15 s. */
  readonly keepAliveMs?: number;
  /**
   * Open streams (2026-07-28 listen streams and 2025 standalone streams) one principal may hold
   * on this replica; more get 429. Default 16: a client needs one.
   */
  readonly maxStreamsPerPrincipal?: number;
  /** Registers extra tools, resources and prompts on every request's MCP server (fixture mode). */
  readonly extend?: ServerExtension;
  /**
   * Answer plain, valid requests without an SDK server instance each (same answers, several
   * times faster; see mcp/fast-path.ts). Default true.
   */
  readonly fastPath?: boolean;
  /**
   * Traces every MCP request and notification (a SERVER span each, with Postgres and Redis calls
   * as children): `startTracing(...).tracer`. No tracing when absent.
   */
  readonly tracer?: MessageTracer;
}

export interface ReadinessReport {
  readonly status: 'ready' | 'degraded' | 'not ready';
  readonly checks: {
    readonly postgres: 'up' | 'down';
    readonly migrations: 'current' | 'pending' | 'unknown';
    readonly redis: 'up' | 'down' | 'not used';
    readonly draining: boolean;
  };
}

export interface McpHttpServer {
  /** The express app: mount it or `listen` on it. */
  readonly app: express.Express;
  readonly metrics: ServerMetrics;
  /** Checks the dependencies and updates the up/down gauges. */
  readiness(): Promise<ReadinessReport>;
  /**
   * Marks the server as draining: `/readyz` answers 503 from now on, open listen streams end
   * with their final result and new ones are refused; other requests are still served.
   */
  startDraining(): void;
  /** Stops relaying change notifications (the Redis subscriber). Call after the HTTP server closed. */
  close(): Promise<void>;
}

/** Writes a JSON-RPC error, unless a response is already under way. */
function sendRpcError(res: Response, httpStatus: number, code: number, message: string): void {
  if (res.headersSent) return;
  res.status(httpStatus).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

const REQUEST_ID = /^[\w.-]{1,128}$/;

const DEFAULT_INSTRUCTIONS =
  "This server is the team's shared memory. Use memory_search before answering questions about the " +
  "team's systems and decisions, and memory_store to save durable facts worth remembering.";

/**
 * Builds the reference MCP server: Streamable HTTP at `/mcp` (stateless: any replica serves any
 * request), `/healthz`, `/readyz`, `/metrics` and the RFC 9728 metadata. Storage, cache and
 * Redis are passed in, so tests and embedders choose them.
 */
export function createServer(options: CreateServerOptions): McpHttpServer {
  const { logger, db, redis } = options;
  const metrics = new ServerMetrics();
  const toolNames = (options.tools ?? MEMORY_TOOLS).map((tool) => tool.name);
  metrics.initializeSeries(toolNames);
  const operations = new McpOperations(metrics, new Set(toolNames), options.tracer);
  const bus = new TenantEventBus((error) =>
    logger.warn({ err: error.message }, 'listen stream delivery failed'),
  );
  const relay: ChangeRelay = redis ? new RedisChangeRelay(redis, bus, logger) : new LocalChangeRelay(bus);
  const memories = new MemoryService(new MemoryRepository(db), options.cache, (change) => {
    for (const event of changeEvents(change)) relay.announce(event);
  });
  const mcp = createMcpHandler({
    serverInfo: options.serverInfo ?? { name: 'mcpenv-reference-server', version: '0.0.0' },
    instructions: options.instructions ?? DEFAULT_INSTRUCTIONS,
    tools: options.tools ?? MEMORY_TOOLS,
    memories,
    metrics,
    logger,
    bus,
    ...(options.keepAliveMs === undefined ? {} : { keepAliveMs: options.keepAliveMs }),
    ...(options.extend ? { extend: options.extend } : {}),
    ...(options.fastPath === undefined ? {} : { fastPath: options.fastPath }),
  });
  const legacyStreams = createLegacyStreams(
    bus,
    options.keepAliveMs ?? SSE_KEEPALIVE_INTERVAL_SECONDS * 1000,
  );
  // Conditions that repeat on every request during an outage: one line per 10 s each.
  const outageLog = throttledLog(logger);
  const streams = streamQuota(options.maxStreamsPerPrincipal ?? 16);
  const healthTimeoutMs = options.healthTimeoutMs ?? 1000;
  let draining = false;
  let migrated = false;
  metrics.redisUp.set(1);

  async function readiness(): Promise<ReadinessReport> {
    const [postgres, redisState] = await Promise.all([
      db.ping(healthTimeoutMs).then(
        () => 'up' as const,
        () => 'down' as const,
      ),
      redis
        ? Promise.race([
            redis.ping().then(() => 'up' as const),
            new Promise<'down'>((resolve) => setTimeout(() => resolve('down'), healthTimeoutMs).unref()),
          ]).catch(() => 'down' as const)
        : Promise.resolve('not used' as const),
    ]);
    let migrations: ReadinessReport['checks']['migrations'] = migrated ? 'current' : 'unknown';
    if (!migrated && postgres === 'up') {
      migrated = await schemaVersion(db).then(
        (version) => version >= LATEST_VERSION,
        () => false,
      );
      migrations = migrated ? 'current' : 'pending';
    }
    metrics.postgresUp.set(postgres === 'up' ? 1 : 0);
    metrics.redisUp.set(redisState === 'down' ? 0 : 1);
    const blocking = draining || postgres === 'down' || migrations !== 'current';
    metrics.ready.set(blocking ? 0 : 1);
    return {
      status: blocking ? 'not ready' : redisState === 'down' ? 'degraded' : 'ready',
      checks: { postgres, migrations, redis: redisState, draining },
    };
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxyHops ?? 0);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    // While draining, tell clients not to reuse the connection.
    if (draining) res.setHeader('connection', 'close');
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const principal = res.locals.principal as { id?: string } | undefined;
      logger.info(
        {
          requestId,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          durationMs: Math.round(durationMs * 10) / 10,
          ...(req.path === '/mcp' ? { rpcMethod: rpcMethodLabel(req.body) } : {}),
          ...(principal?.id ? { principal: principal.id } : {}),
        },
        'request',
      );
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const report = await readiness();
    res.status(report.status === 'not ready' ? 503 : 200).json(report);
  });

  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  if (options.publicUrl) {
    const metadata = protectedResourceMetadata({
      resource: `${options.publicUrl}/mcp`,
      requiredScope: options.auth.requiredScope,
      ...(options.auth.issuer ? { issuer: options.auth.issuer } : {}),
    });
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      app.get(path, (_req, res) => {
        res.setHeader('cache-control', 'public, max-age=3600');
        res.json(metadata);
      });
    }
  }

  // Everything under /mcp is measured, including requests rejected before the MCP layer.
  app.use('/mcp', (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    metrics.activeConnections.inc();
    res.once('close', () => {
      metrics.activeConnections.dec();
      const method = rpcMethodLabel(req.body);
      const protocol_version = protocolVersionLabel(protocolVersionOf(req));
      // A stream (listen, or a 2025 GET) lasts as long as its client wants: not a latency.
      if (req.method === 'POST' && method !== 'subscriptions/listen') {
        metrics.requestDurationSeconds.observe(
          { method, endpoint: '/mcp', protocol_version },
          Number(process.hrtime.bigint() - started) / 1e9,
        );
      }
      metrics.requestsTotal.inc({
        method,
        status: String(res.statusCode),
        endpoint: '/mcp',
        protocol_version,
      });
    });
    next();
  });
  if (options.allowList) app.use('/mcp', hostAndOriginGuard(options.allowList));

  // Limits and logs see the client's address; IPv6 clients are counted by their /56 network.
  const clientAddress = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');
  const authenticated = authenticate({
    enabled: options.auth.enabled,
    ...(options.auth.enabled
      ? {
          failures: new AuthFailureLimiter({
            perMinute: options.auth.failuresPerMinute ?? 30,
            ...(redis ? { redis } : {}),
            logger,
          }),
          clientAddress,
        }
      : {}),
    requiredScope: options.auth.requiredScope,
    ...(options.auth.apiKeys ? { apiKeys: options.auth.apiKeys } : {}),
    ...(options.auth.oauth ? { oauth: options.auth.oauth } : {}),
    ...(options.publicUrl
      ? { resourceMetadataUrl: `${options.publicUrl}/.well-known/oauth-protected-resource/mcp` }
      : {}),
    metrics,
    logger,
  });
  const limited = rateLimitByPrincipal({
    ...options.rateLimit,
    ...(redis ? { redis } : {}),
    metrics,
    logger,
  });

  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const responseTimeoutMs = options.responseTimeoutMs ?? 30_000;
  app.post(
    '/mcp',
    (req: Request, res: Response, next: NextFunction) => {
      answerWithin(req, res, responseTimeoutMs, (detail) =>
        outageLog.warn(
          { requestId: res.locals.requestId, ...detail },
          'no answer within the response timeout',
        ),
      );
      // Refused on its declared length alone, before credentials are looked at.
      if (Number(req.get('content-length') ?? 0) > maxBodyBytes) {
        res.setHeader('connection', 'close');
        sendRpcError(res, 413, -32600, `Request body too large (limit ${maxBodyBytes} bytes)`);
        return;
      }
      next();
    },
    // Credentials before the body is read: a client without a valid key costs no parsing, and a
    // refused address is answered from memory. The per-caller limit comes after the parse, so
    // its refusals are counted by method; the depth scan bounds what a known caller's parse costs.
    authenticated,
    // An admitted caller's messages are MCP operations from here on, refusals included.
    (req: Request, res: Response, next: NextFunction) => {
      res.locals.exchange = operations.begin(req, res);
      next();
    },
    express.json({
      limit: maxBodyBytes,
      // UTF-8 bodies (nearly all) are scanned as bytes before parsing; in other charsets a byte
      // is not a character, so those are walked once parsed.
      verify: (req, _res, bytes, encoding) => {
        if (encoding !== 'utf-8' && encoding !== 'utf8') return;
        if (textNestsDeeperThan(bytes, MAX_JSON_DEPTH)) {
          throw Object.assign(new Error('nesting too deep'), { type: 'entity.too.deep' });
        }
        (req as Request & { depthScanned?: boolean }).depthScanned = true;
      },
    }),
    (req: Request, res: Response, next: NextFunction) => {
      const scanned = (req as Request & { depthScanned?: boolean }).depthScanned === true;
      if (!scanned && nestedDeeperThan(req.body, MAX_JSON_DEPTH)) {
        sendRpcError(
          res,
          400,
          -32600,
          `Invalid Request: the body nests deeper than ${MAX_JSON_DEPTH} levels`,
        );
        return;
      }
      next();
    },
    limited,
    async (req: Request, res: Response, next: NextFunction) => {
      const exchange = res.locals.exchange as McpExchange;
      exchange.open(req.body);
      if (Array.isArray(req.body)) {
        const problem = batchProblem(req.body);
        if (problem) {
          sendRpcError(res, 400, -32600, `Invalid Request: ${problem}`);
          return;
        }
        req.body = withoutSelfCancellations(req.body);
      }
      if (rpcMethodLabel(req.body) === 'subscriptions/listen') {
        // A stream lasts as long as its client wants.
        (res.locals.cancelDeadline as (() => void) | undefined)?.();
        if (draining) {
          res.setHeader('retry-after', '1');
          sendRpcError(
            res,
            503,
            -32000,
            'Draining: open the listen stream again; another replica will hold it',
          );
          return;
        }
        if (!streams.admit(principalOf(res), res)) return;
      }
      try {
        await mcp.handle(req, res, principalOf(res), String(res.locals.requestId), exchange);
      } catch (error) {
        // The deadline answered first; the late answer has nowhere to go.
        if (res.locals.deadlineExpired) return;
        next(error);
      }
    },
  );

  // 2025 clients' standalone stream: the resource list's change notifications.
  app.get('/mcp', authenticated, limited, (req: Request, res: Response) => {
    if (draining) {
      res.setHeader('retry-after', '1');
      sendRpcError(res, 503, -32000, 'Draining: open the stream again; another replica will hold it');
      return;
    }
    if (!streams.admit(principalOf(res), res)) return;
    legacyStreams.serve(req, res, principalOf(res));
  });

  app.all('/mcp', (_req, res) => {
    res.setHeader('allow', 'POST');
    sendRpcError(res, 405, -32000, 'Method not allowed: this stateless server accepts POST only');
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  app.use(
    (
      error: Error & { type?: string; status?: number },
      _req: Request,
      res: Response,
      _next: NextFunction,
    ) => {
      if (error.type === 'entity.parse.failed') {
        sendRpcError(res, 400, -32700, 'Parse error: the body is not valid JSON');
      } else if (error.type === 'entity.too.deep') {
        sendRpcError(
          res,
          400,
          -32600,
          `Invalid Request: the body nests deeper than ${MAX_JSON_DEPTH} levels`,
        );
      } else if (error.type === 'entity.too.large') {
        sendRpcError(res, 413, -32600, `Request body too large (limit ${maxBodyBytes} bytes)`);
      } else if (error.type === 'encoding.unsupported' || error.type === 'charset.unsupported') {
        sendRpcError(res, 415, -32600, 'Unsupported content encoding or charset');
      } else if (error instanceof RateLimitStoreError) {
        outageLog.warn(
          { err: error.message },
          'rate limiter unavailable: rejecting (RATE_LIMIT_ON_REDIS_ERROR=deny)',
        );
        res.setHeader('retry-after', '5');
        sendRpcError(res, 503, -32000, 'Service temporarily unavailable: retry shortly');
      } else if (error.status && error.status >= 400 && error.status < 500) {
        sendRpcError(res, error.status, -32600, 'Invalid request');
      } else {
        logger.error({ requestId: res.locals.requestId, err: error.message }, 'unhandled error');
        sendRpcError(res, 500, -32603, 'Internal server error');
      }
    },
  );

  return {
    app,
    metrics,
    readiness,
    startDraining() {
      draining = true;
      void mcp.endListenStreams();
      legacyStreams.endAll();
    },
    close: () => relay.close(),
  };
}

/** The ids of the requests in a JSON-RPC body (one message or a batch). */
function requestIds(body: unknown): (string | number)[] {
  return (Array.isArray(body) ? body : [body]).filter(isRequest).map((message) => message.id);
}

/**
 * Ends the exchange after `ms` if nothing else has: a JSON-RPC error for every request id (504),
 * or, when an answer is already streaming, the end of the stream. Every exchange ends, whatever
 * a tool or dependency does. A body still arriving is the request timeout's to end (408).
 * `res.locals.cancelDeadline` stops it, for streams.
 */
function answerWithin(
  req: Request,
  res: Response,
  ms: number,
  log: (detail: Record<string, unknown>) => void,
): void {
  let timer: NodeJS.Timeout;
  // Ids a streamed (SSE) answer has answered so far: at the deadline, only the rest get an error.
  const answered = new Set<string | number>();
  let stream: SseMessageReader | undefined;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) {
      stream ??= new SseMessageReader();
      for (const message of stream.read(chunk)) noteAnswered(message, answered);
    }
    return write(chunk, ...rest);
  }) as Response['write'];
  const expire = () => {
    if (res.writableEnded) return;
    if (!req.complete) {
      timer = setTimeout(expire, ms).unref();
      return;
    }
    res.locals.deadlineExpired = true;
    log({ rpcMethod: rpcMethodLabel(req.body), streaming: res.headersSent });
    const error = {
      code: -32603,
      message: `Internal error: no answer within ${ms / 1000} s on the server; retry later`,
    };
    const ids = requestIds(req.body);
    if (res.headersSent) {
      if (String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) {
        // Through res.write, so that the exchange's observer sees these answers too.
        for (const id of ids.filter((id) => !answered.has(id))) {
          res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', error, id })}\n\n`);
        }
      }
      res.end();
      return;
    }
    res.status(504);
    if (Array.isArray(req.body) && ids.length > 0) {
      res.json(ids.map((id) => ({ jsonrpc: '2.0', error, id })));
    } else {
      res.json({ jsonrpc: '2.0', error, id: ids[0] ?? null });
    }
  };
  timer = setTimeout(expire, ms).unref();
  res.locals.cancelDeadline = () => clearTimeout(timer);
  res.once('close', () => clearTimeout(timer));
}

/** Adds the id of a JSON-RPC response read from an SSE stream to `answered`. */
function noteAnswered(message: unknown, answered: Set<string | number>): void {
  if (typeof message !== 'object' || message === null) return;
  const { id } = message as { id?: unknown };
  if ((typeof id === 'string' || typeof id === 'number') && ('result' in message || 'error' in message)) {
    answered.add(id);
  }
}

function isRequest(message: unknown): message is { id: string | number; method: string } {
  const { id, method } = (message ?? {}) as { id?: unknown; method?: unknown };
  return typeof method === 'string' && (typeof id === 'string' || typeof id === 'number');
}

/** Why a batch cannot be answered one-to-one, if it cannot: empty, or two requests with one id. */
function batchProblem(batch: readonly unknown[]): string | undefined {
  if (batch.length === 0) return 'an empty batch';
  const ids = new Set<string | number>();
  for (const message of batch) {
    if (!isRequest(message)) continue;
    if (ids.has(message.id)) return `two requests in the batch have the id ${JSON.stringify(message.id)}`;
    ids.add(message.id);
  }
  return undefined;
}

/**
 * Drops a `notifications/cancelled` for a request of the same batch. Both arrive together, so the
 * request has not started; left in, the SDK's stateless leg cancels the request and never
 * answers the exchange. Dropped, the request runs and every id gets its answer.
 */
function withoutSelfCancellations(batch: unknown[]): unknown[] {
  const ids = new Set(batch.filter(isRequest).map((message) => message.id));
  return batch.filter((message) => {
    const { method, params } = (message ?? {}) as { method?: unknown; params?: { requestId?: unknown } };
    if (method !== 'notifications/cancelled') return true;
    const target = params?.requestId;
    return !((typeof target === 'string' || typeof target === 'number') && ids.has(target));
  });
}

/** What listen streams hear about a stored or deleted memory. */
function changeEvents(change: MemoryChange): TenantEvent[] {
  return [
    { tenant: change.tenant, event: { kind: 'resources_list_changed' } },
    { tenant: change.tenant, event: { kind: 'resource_updated', uri: `memory://${change.id}` } },
  ];
}

/**
 * Caps the long-lived streams each principal holds on this replica, so no one caller can take
 * every stream slot (the SDK's handler has one limit for all: 1,024).
 */
function streamQuota(perPrincipal: number) {
  const open = new Map<string, number>();
  return {
    /** Counts the stream until the response closes, or answers 429 and returns false. */
    admit(principal: Principal, res: Response): boolean {
      const count = open.get(principal.id) ?? 0;
      if (count >= perPrincipal) {
        res.setHeader('retry-after', '5');
        sendRpcError(
          res,
          429,
          -32000,
          `Too many open streams: at most ${perPrincipal} per caller on each replica; close one first`,
        );
        return false;
      }
      open.set(principal.id, count + 1);
      res.once('close', () => {
        const left = (open.get(principal.id) ?? 1) - 1;
        if (left > 0) open.set(principal.id, left);
        else open.delete(principal.id);
      });
      return true;
    },
  };
}
