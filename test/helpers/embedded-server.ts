import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { type CreateServerOptions, createServer, type McpHttpServer } from '../../server/app';
import { LocalCache } from '../../server/cache/cache';
import { migrate } from '../../server/store/migrations';
import { EmbeddedPostgres } from '../../server/store/sql';

export interface TestServer {
  readonly server: McpHttpServer;
  readonly db: EmbeddedPostgres;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** One PGlite per test file: opening it compiles WebAssembly, which takes seconds. */
let shared: Promise<EmbeddedPostgres> | undefined;
export function sharedEmbeddedPostgres(): Promise<EmbeddedPostgres> {
  shared ??= (async () => {
    const db = await EmbeddedPostgres.open();
    await migrate(db, pino({ level: 'silent' }));
    return db;
  })();
  return shared;
}

/** The reference server on PGlite with auth off, listening on a random loopback port. */
export async function startEmbeddedServer(overrides: Partial<CreateServerOptions> = {}): Promise<TestServer> {
  const db = await sharedEmbeddedPostgres();
  const server = createServer({
    logger: pino({ level: 'silent' }),
    db,
    cache: new LocalCache(60),
    auth: { enabled: false, requiredScope: 'mcp' },
    rateLimit: { perMinute: 10_000, onRedisError: 'allow' },
    ...overrides,
  });
  const http = await new Promise<Server>((resolve) => {
    const listening = server.app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = http.address() as AddressInfo;
  return {
    server,
    db,
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        // Idle keep-alive connections and open streams end now, not when the client times out.
        http.closeAllConnections();
      }),
  };
}

/**
 * The same server twice, with the fast path and without it (every request through the SDK's
 * handler), on one database and one cache, so both see every write at once. Started before the
 * calling file's tests, closed after them.
 */
export function fastAndSdkServers(): { readonly fast: TestServer; readonly sdk: TestServer } {
  const servers = {} as { fast: TestServer; sdk: TestServer };
  beforeAll(async () => {
    const cache = new LocalCache(60);
    [servers.fast, servers.sdk] = await Promise.all([
      startEmbeddedServer({ cache }),
      startEmbeddedServer({ cache, fastPath: false }),
    ]);
  }, 120_000);
  afterAll(() => Promise.all([servers.fast?.close(), servers.sdk?.close()]));
  return servers;
}
