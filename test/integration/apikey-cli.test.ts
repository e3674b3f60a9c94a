import pino from 'pino';
import { ApiKeyStore } from '../../server/auth/api-keys';
import { PostgresPool } from '../../server/store/sql';
import { apiKeyParts } from '../helpers/api-keys';
import { runCli } from '../helpers/cli';
import { type PostgresServer, startPostgres } from '../helpers/postgres';

let postgres: PostgresServer;
let db: PostgresPool;

beforeAll(async () => {
  postgres = await startPostgres();
  expect(runCli(['migrate'], { env: { DATABASE_URL: postgres.url } }).status).toBe(0);
  db = new PostgresPool({
    url: postgres.url,
    max: 1,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 5000,
    idleTimeoutMs: 1000,
    logger: pino({ level: 'silent' }),
  });
}, 120_000);

afterAll(async () => {
  await db?.close();
  await postgres?.destroy();
});

describe('mcpenv apikey', () => {
  test('creates a key, prints it once, and stores only its hash', async () => {
    const result = runCli(['apikey', 'create', '--tenant', 'alpha', '--name', 'ci bot'], {
      env: { DATABASE_URL: postgres.url },
    });
    expect(result.status).toBe(0);
    const key = result.stdout.trim();
    expect(key).toMatch(/^mcpk_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    expect(result.stderr).toContain('for tenant alpha with scopes mcp');
    const verified = await new ApiKeyStore(db).verify(key);
    expect(verified).toMatchObject({ ok: true, key: { tenant: 'alpha', name: 'ci bot', scopes: ['mcp'] } });
    const { rows } = await db.query<{ stored: string }>(
      "SELECT encode(secret_hash, 'hex') AS stored FROM api_keys",
    );
    for (const row of rows) expect(key).not.toContain(row.stored);
  });

  test('lists keys without secrets, and revokes one', async () => {
    const created = JSON.parse(
      runCli(['apikey', 'create', '--tenant', 'beta', '--scope', 'mcp', 'extra', '--json'], {
        env: { DATABASE_URL: postgres.url },
      }).stdout,
    ) as { key: string; id: string; scopes: string[] };
    expect(created.scopes).toEqual(['mcp', 'extra']);

    const listed = runCli(['apikey', 'list', '--tenant', 'beta', '--json'], {
      env: { DATABASE_URL: postgres.url },
    });
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: created.id, tenant: 'beta' })]);
    expect(listed.stdout).not.toContain(apiKeyParts(created.key).secret);

    expect(runCli(['apikey', 'revoke', created.id], { env: { DATABASE_URL: postgres.url } }).status).toBe(0);
    expect(await new ApiKeyStore(db).verify(created.key)).toEqual({ ok: false, reason: 'revoked_key' });
  });

  test.each([
    [['apikey', 'create', '--tenant', 'has spaces'], /--tenant must be 1 to 200 letters/],
    [['apikey', 'create', '--tenant', 'a', '--scope', 'bad"scope'], /--scope must be OAuth scope tokens/],
    [['apikey', 'revoke', 'not-an-id'], /<id> must be a 16-character key id/],
    [['apikey', 'revoke', '0123456789abcdef'], /<id> must name an active key/],
    [['apikey', 'create'], /required option '-t, --tenant <tenant>' not specified/],
  ])('rejects %j with exit 2 and a clear message', (args, message) => {
    const result = runCli(args, { env: { DATABASE_URL: postgres.url } });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  test('fails with exit 2 naming DATABASE_URL when it is not set', () => {
    const result = runCli(['apikey', 'list'], { env: { DATABASE_URL: '' } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('DATABASE_URL must be set');
  });
});
