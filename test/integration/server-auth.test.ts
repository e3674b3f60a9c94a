import { randomBytes } from 'node:crypto';
import { LABEL_VALUES } from '@mcpenv/contract';
import type { ApiKeyStore } from '../../server/auth/api-keys';
import { apiKeyParts } from '../helpers/api-keys';
import { createSigningKey, type JwksServer, type JwtClaims, startJwksServer } from '../helpers/jwks';
import { freePort } from '../helpers/ports';
import { type PostgresServer, startPostgres } from '../helpers/postgres';
import { type RedisServer, startRedis } from '../helpers/redis';
import { callTool, createApiKeys, PUBLIC_URL, postMcp } from '../helpers/reference-server';
import { type ServerProcess, startServerProcess } from '../helpers/server-process';

const ISSUER = 'https://auth.test.example';
const RESOURCE = `${PUBLIC_URL}/mcp`;
const RESOURCE_METADATA = `resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp"`;
const TOOLS_LIST = { jsonrpc: '2.0', id: 1, method: 'tools/list' };

let postgres: PostgresServer;
let redis: RedisServer;
let jwks: JwksServer;
let server: ServerProcess;
let keyStore: { store: ApiKeyStore; close(): Promise<void> } | undefined;
let keys: { alpha: string; beta: string; readOnly: string; revoked: string };
/** Every token and key sent to a server, to check that none reaches the logs. */
const sent: string[] = [];

const now = () => Math.floor(Date.now() / 1000);

/**
 * `mcpenv serve` in a child process, on real Node: in Jest the server's `import('jose')` becomes
 * a require() that Jest refuses under --experimental-vm-modules, so an in-process server answers
 * every JWT with 500.
 */
function startAuthServer(jwksUrl: string): Promise<ServerProcess> {
  return startServerProcess({
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    PUBLIC_URL,
    OAUTH_ISSUER: ISSUER,
    OAUTH_JWKS_URL: jwksUrl,
    MIGRATE_ON_START: 'true',
    LOG_LEVEL: 'info',
    SHUTDOWN_DELAY_SECONDS: '0',
    SHUTDOWN_DRAIN_SECONDS: '5',
  });
}

/** SIGTERM, then SIGKILL if the server has not exited within `timeoutMs`. */
async function stopServer(running: ServerProcess | undefined, timeoutMs = 15_000): Promise<void> {
  if (!running) return;
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      running.child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
  });
  await Promise.race([running.stop(), killed]).finally(() => clearTimeout(timer));
}

/** Claims of a token the server accepts; `overrides` spoil one of them. */
function claims(overrides: JwtClaims = {}): JwtClaims {
  return {
    iss: ISSUER,
    aud: RESOURCE,
    sub: 'user-1',
    tenant_id: 'alpha',
    scope: 'openid mcp',
    iat: now(),
    exp: now() + 300,
    ...overrides,
  };
}

function bearer(token: string): Record<string, string> {
  sent.push(token);
  return { authorization: `Bearer ${token}` };
}

/** The `mcp_auth_failures_total` counters of a server, by reason. */
async function authFailures(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, reason, value] of text.matchAll(/^mcp_auth_failures_total\{reason="(\w+)"\} (\S+)$/gm)) {
    counts[reason as string] = Number(value);
  }
  return counts;
}

interface Rejection {
  readonly status: 401 | 403;
  /** The `reason` label that must go up by one. */
  readonly reason: string;
  /** The `error` attribute of the challenge; none when absent. */
  readonly error?: string;
}

/** Sends tools/list with `headers` and checks the status, challenge, JSON-RPC body and metric. */
async function expectRejected(headers: Record<string, string>, expected: Rejection): Promise<void> {
  const before = await authFailures(server.url);
  const res = await postMcp(server.url, TOOLS_LIST, headers);

  expect(res.status).toBe(expected.status);
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer /);
  expect(challenge).toContain(RESOURCE_METADATA);
  if (expected.error) expect(challenge).toContain(`error="${expected.error}"`);
  else expect(challenge).not.toContain('error=');
  if (expected.status === 403) expect(challenge).toContain('scope="mcp"');
  expect(res.json).toEqual({
    jsonrpc: '2.0',
    id: null,
    error: {
      code: -32001,
      message: expect.stringMatching(expected.status === 403 ? /^Forbidden: / : /^Unauthorized: /),
    },
  });

  const after = await authFailures(server.url);
  expect((after[expected.reason] ?? 0) - (before[expected.reason] ?? 0)).toBe(1);
}

beforeAll(async () => {
  [postgres, redis, jwks] = await Promise.all([
    startPostgres(),
    startRedis({ password: 'redis-test-password' }),
    startJwksServer(),
  ]);
  const created = await createApiKeys(postgres.url, [
    { tenant: 'alpha' },
    { tenant: 'beta' },
    { tenant: 'alpha', scopes: ['read'] },
    { tenant: 'alpha' },
  ]);
  keyStore = created;
  const [alpha, beta, readOnly, revoked] = created.keys as [string, string, string, string];
  keys = { alpha, beta, readOnly, revoked };
  // Revoked before the server ever sees it, so no server-side cache holds the live key.
  expect(await created.store.revoke(apiKeyParts(revoked).id)).toBe(true);
  server = await startAuthServer(jwks.url);
}, 120_000);

afterAll(async () => {
  await stopServer(server);
  await keyStore?.close();
  await jwks?.close();
  await redis?.destroy();
  await postgres?.destroy();
});

describe('OAuth access tokens (JWTs)', () => {
  test('a valid token lists the tools', async () => {
    const res = await postMcp(server.url, TOOLS_LIST, bearer(jwks.sign(claims())));
    expect(res.status).toBe(200);
    expect(res.json.result.tools).toHaveLength(4);
  });

  test('a token for the public origin as audience is accepted too', async () => {
    const res = await postMcp(server.url, TOOLS_LIST, bearer(jwks.sign(claims({ aud: PUBLIC_URL }))));
    expect(res.status).toBe(200);
  });

  test('the token’s tenant owns what it stores: its API keys read it, other tenants do not', async () => {
    const token = jwks.sign(claims({ tenant_id: 'alpha' }));
    const stored = await postMcp(
      server.url,
      callTool('memory_store', { text: 'Stored through an OAuth token' }),
      bearer(token),
    );
    expect(stored.status).toBe(200);
    const id = stored.json.result.structuredContent.id as string;

    const own = await postMcp(server.url, callTool('memory_get', { id }), bearer(keys.alpha));
    expect(own.json.result.structuredContent).toMatchObject({ id, text: 'Stored through an OAuth token' });
    const other = await postMcp(server.url, callTool('memory_get', { id }), bearer(keys.beta));
    expect(other.json.result.isError).toBe(true);
  });

  test('accepts the Bearer scheme in any case (RFC 9110: schemes are case-insensitive)', async () => {
    sent.push(keys.alpha);
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const res = await postMcp(server.url, TOOLS_LIST, { authorization: `${scheme} ${keys.alpha}` });
      expect(res.status).toBe(200);
    }
  });

  test('rejects a request without a token with 401 and a bare challenge', async () => {
    await expectRejected({}, { status: 401, reason: 'missing_token' });
  });

  test('rejects a malformed Authorization header with 401', async () => {
    await expectRejected(
      { authorization: 'Basic abc' },
      { status: 401, reason: 'malformed_token', error: 'invalid_request' },
    );
  });

  test('rejects a token signed by another key with the same kid', async () => {
    const impostor = createSigningKey(jwks.key.kid);
    const token = jwks.sign(claims(), { key: impostor });
    await expectRejected(bearer(token), { status: 401, reason: 'invalid_signature', error: 'invalid_token' });
  });

  test('rejects a token for another audience', async () => {
    const token = jwks.sign(claims({ aud: 'https://other.test.example/mcp' }));
    await expectRejected(bearer(token), { status: 401, reason: 'wrong_audience', error: 'invalid_token' });
  });

  test('rejects a token from another issuer', async () => {
    const token = jwks.sign(claims({ iss: 'https://evil.test.example' }));
    await expectRejected(bearer(token), { status: 401, reason: 'wrong_issuer', error: 'invalid_token' });
  });

  test('rejects an expired token', async () => {
    const token = jwks.sign(claims({ iat: now() - 600, exp: now() - 120 }));
    await expectRejected(bearer(token), { status: 401, reason: 'expired', error: 'invalid_token' });
  });

  test('rejects a token without the required scope with 403', async () => {
    const token = jwks.sign(claims({ scope: 'openid profile' }));
    await expectRejected(bearer(token), {
      status: 403,
      reason: 'insufficient_scope',
      error: 'insufficient_scope',
    });
  });

  test('rejects a token without the tenant claim', async () => {
    const token = jwks.sign(claims({ tenant_id: undefined }));
    await expectRejected(bearer(token), { status: 401, reason: 'invalid_token', error: 'invalid_token' });
  });

  test('rejects an HS256 token', async () => {
    const token = jwks.sign(claims(), { hmacSecret: randomBytes(32) });
    await expectRejected(bearer(token), { status: 401, reason: 'invalid_token', error: 'invalid_token' });
  });
});

describe('API keys', () => {
  test('rejects a well-formed key that was never created', async () => {
    const key = `mcpk_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    await expectRejected(bearer(key), { status: 401, reason: 'unknown_key', error: 'invalid_token' });
  });

  test('rejects a revoked key', async () => {
    await expectRejected(bearer(keys.revoked), {
      status: 401,
      reason: 'revoked_key',
      error: 'invalid_token',
    });
  });

  test('a revocation reaches every replica within a second, while their caches still hold the key', async () => {
    const other = await startAuthServer(jwks.url);
    try {
      const { key, record } = await (keyStore as NonNullable<typeof keyStore>).store.create({
        tenant: 'alpha',
        name: 'revoked soon',
        scopes: ['mcp'],
      });
      sent.push(key);
      // Both replicas look the key up once and cache it (for 30 s without a notification).
      for (const url of [server.url, other.url]) {
        expect((await postMcp(url, TOOLS_LIST, { authorization: `Bearer ${key}` })).status).toBe(200);
      }
      expect(await (keyStore as NonNullable<typeof keyStore>).store.revoke(record.id)).toBe(true);
      const revokedAt = Date.now();
      for (const url of [server.url, other.url]) {
        let status = 200;
        while (status === 200 && Date.now() - revokedAt < 5_000) {
          status = (await postMcp(url, TOOLS_LIST, { authorization: `Bearer ${key}` })).status;
          if (status === 200) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(status).toBe(401);
      }
      expect(Date.now() - revokedAt).toBeLessThan(1_000);
    } finally {
      await stopServer(other);
    }
  }, 60_000);

  test('rejects a key without the mcp scope with 403', async () => {
    await expectRejected(bearer(keys.readOnly), {
      status: 403,
      reason: 'insufficient_scope',
      error: 'insufficient_scope',
    });
  });
});

describe('discovery, metrics and logs', () => {
  test.each(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'])(
    '%s serves the RFC 9728 metadata',
    async (path) => {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        resource: RESOURCE,
        authorization_servers: [ISSUER],
        scopes_supported: ['mcp'],
        bearer_methods_supported: ['header'],
      });
    },
  );

  test('/metrics counts each rejection above under its reason', async () => {
    const counts = await authFailures(server.url);
    expect(counts).toEqual({
      missing_token: 1,
      malformed_token: 1,
      invalid_signature: 1,
      wrong_audience: 1,
      wrong_issuer: 1,
      expired: 1,
      // No tenant claim, and HS256.
      invalid_token: 2,
      unknown_key: 1,
      // The key revoked before the server started, and the one revoked while it was cached.
      revoked_key: 2,
      // A JWT and an API key.
      insufficient_scope: 2,
      // Exposed at 0 from the start, like every reason, so rate() sees the first one.
      issuer_unavailable: 0,
    });
    expect(Object.keys(counts).sort()).toEqual([...LABEL_VALUES.authFailureReason].sort());
  });

  test('the logs never contain a token or key that was sent', () => {
    expect(sent.length).toBeGreaterThan(10);
    const text = JSON.stringify(server.logs);
    for (const token of sent) {
      expect(text).not.toContain(token);
      // The secret part: a JWT's signature, an API key's secret.
      expect(text).not.toContain(token.startsWith('mcpk_') ? token.slice(22) : token.split('.')[2]);
    }
    expect(server.logs.some((entry) => entry.principal === 'oauth:user-1')).toBe(true);
  });
});

describe('an unreachable authorization server', () => {
  let isolated: ServerProcess | undefined;

  afterAll(async () => {
    await stopServer(isolated);
  });

  test('answers 503, not 401, to a JWT when the JWKS cannot be fetched', async () => {
    const closedPort = await freePort();
    isolated = await startAuthServer(`http://127.0.0.1:${closedPort}/jwks.json`);
    const token = jwks.sign(claims());
    const res = await postMcp(isolated.url, TOOLS_LIST, bearer(token));

    expect(res.status).toBe(503);
    expect(res.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32603, message: expect.any(String) },
    });
    expect((await authFailures(isolated.url)).issuer_unavailable).toBe(1);
    expect(JSON.stringify(isolated.logs)).not.toContain(token.split('.')[2]);
  }, 30_000);
});
