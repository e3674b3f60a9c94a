import { Writable } from 'node:stream';
import pino from 'pino';
import { ApiKeyStore } from '../../server/auth/api-keys';
import { parseServerConfig } from '../../server/config';
import { type RunningServer, startServer } from '../../server/main';
import { MEMORY_TOOLS } from '../../server/tools/memory';
import type { ToolDefinition } from '../../server/tools/tool';
import { PostgresPool } from '../../server/store/sql';
import { migrate } from '../../server/store/migrations';
import { type PostgresServer, startPostgres } from './postgres';
import { type RedisServer, startRedis } from './redis';

export const PUBLIC_URL = 'https://mcp.test.example';

/** A server-mode reference server in this process, with its log lines captured. */
export interface ReferenceServer {
  readonly running: RunningServer;
  readonly url: string;
  readonly logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Log lines as parsed objects, for assertions on what a server logs. */
export function captureLogs(level = 'info') {
  const logs: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      callback();
    },
  });
  return { logs, logger: pino({ level }, stream) };
}

/**
 * Starts the reference server against real Postgres and Redis on a random loopback port.
 * `env` adds or overrides server variables (e.g. RATE_LIMIT_PER_MINUTE).
 */
export async function startReferenceServer(
  urls: { databaseUrl: string; redisUrl: string },
  env: Record<string, string> = {},
  tools: readonly ToolDefinition[] = MEMORY_TOOLS,
): Promise<ReferenceServer> {
  const config = parseServerConfig({
    DATABASE_URL: urls.databaseUrl,
    REDIS_URL: urls.redisUrl,
    PUBLIC_URL,
    PORT: '0',
    MIGRATE_ON_START: 'true',
    SHUTDOWN_DELAY_SECONDS: '0',
    SHUTDOWN_DRAIN_SECONDS: '5',
    ...env,
  });
  const { logs, logger } = captureLogs();
  const running = await startServer(config, {
    serverInfo: { name: 'mcpenv-test', version: '0.0.0' },
    tools,
    logger,
  });
  return { running, url: running.url, logs, stop: () => running.shutdown() };
}

/** Creates API keys straight in the database (migrating it first if needed). */
export async function createApiKeys(
  databaseUrl: string,
  keys: readonly { tenant: string; scopes?: readonly string[] }[],
): Promise<{ keys: string[]; store: ApiKeyStore; close(): Promise<void> }> {
  const db = new PostgresPool({
    url: databaseUrl,
    max: 2,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 5000,
    idleTimeoutMs: 1000,
    logger: pino({ level: 'silent' }),
  });
  await migrate(db, pino({ level: 'silent' }));
  const store = new ApiKeyStore(db);
  const created: string[] = [];
  for (const key of keys) {
    created.push(
      (await store.create({ tenant: key.tenant, name: `test ${key.tenant}`, scopes: key.scopes ?? ['mcp'] }))
        .key,
    );
  }
  return { keys: created, store, close: () => db.close() };
}

/** What a 2025-11-25 client sends after `initialize` (the stateless server needs no session). */
export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
};

/**
 * Posts one JSON-RPC message (or raw body) to /mcp and returns status, headers and the parsed
 * answer (from a JSON body or an SSE stream).
 */
export async function postMcp(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  // Tests read arbitrary JSON-RPC replies; `any` keeps those assertions short.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const res = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { ...MCP_HEADERS, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    // A JSON body, or (as a client reads it) the last message of an SSE stream.
    json = res.headers.get('content-type')?.startsWith('text/event-stream')
      ? text
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => JSON.parse(line.slice(6)) as unknown)
          .at(-1)
      : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** A tools/call request body. */
export const callTool = (name: string, args: Record<string, unknown>, id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

/** Real Postgres and Redis with API keys, and the servers started on them; one `destroy()` ends all. */
export interface Backends {
  readonly postgres: PostgresServer;
  readonly redis: RedisServer;
  /** One API key per requested tenant, in order. */
  readonly keys: readonly string[];
  /** Starts a reference server on these backends; `destroy()` stops it. */
  startServer(env?: Record<string, string>, tools?: readonly ToolDefinition[]): Promise<ReferenceServer>;
  destroy(): Promise<void>;
}

export async function startBackends(options: {
  tenants: readonly string[];
  redisPassword?: string;
}): Promise<Backends> {
  const [postgres, redis] = await Promise.all([
    startPostgres(),
    startRedis(options.redisPassword ? { password: options.redisPassword } : {}),
  ]);
  const created = await createApiKeys(
    postgres.url,
    options.tenants.map((tenant) => ({ tenant })),
  );
  const servers: ReferenceServer[] = [];
  return {
    postgres,
    redis,
    keys: created.keys,
    async startServer(env = {}, tools = MEMORY_TOOLS) {
      const server = await startReferenceServer(
        { databaseUrl: postgres.url, redisUrl: redis.url },
        env,
        tools,
      );
      servers.push(server);
      return server;
    },
    async destroy() {
      await Promise.all(servers.map((server) => server.stop()));
      await created.close();
      await Promise.all([redis.destroy(), postgres.destroy()]);
    },
  };
}
