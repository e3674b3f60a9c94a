import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, escapeIdentifier } from 'pg';
import pino from 'pino';
import {
  LATEST_VERSION,
  MIGRATIONS,
  type Migration,
  migrate,
  schemaVersion,
} from '../../server/store/migrations';
import { PostgresPool } from '../../server/store/sql';
import { runCli } from '../helpers/cli';
import { removeTempDirs, tempDir } from '../helpers/fixtures';
import { type PostgresServer, startPostgres } from '../helpers/postgres';
import { PUBLIC_URL } from '../helpers/reference-server';

const logger = pino({ level: 'silent' });
const VERSIONS = MIGRATIONS.map((migration) => migration.version);

let postgres: PostgresServer;
const pools: PostgresPool[] = [];

/** Runs `work` on one connection, closing it either way. */
async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new empty database owned by the harness's role; returns its URL for that role. */
async function freshDatabase(): Promise<string> {
  const name = `migrations_${randomBytes(6).toString('hex')}`;
  await withClient(postgres.superuserUrl, (client) =>
    client.query(`CREATE DATABASE ${escapeIdentifier(name)} OWNER app`),
  );
  const url = new URL(postgres.url);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A pool closed in afterAll. */
function pool(url: string): PostgresPool {
  const created = new PostgresPool({
    url,
    max: 2,
    connectTimeoutMs: 5_000,
    statementTimeoutMs: 10_000,
    idleTimeoutMs: 1_000,
    logger,
  });
  pools.push(created);
  return created;
}

async function ledger(db: PostgresPool): Promise<{ version: number; name: string }[]> {
  const { rows } = await db.query<{ version: number; name: string }>(
    'SELECT version, name FROM mcpenv_schema_migrations ORDER BY version',
  );
  return rows;
}

async function tableExists(db: PostgresPool, table: string): Promise<boolean> {
  const { rows } = await db.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
    table,
  ]);
  return rows[0]?.exists === true;
}

beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(pools.map((p) => p.close()));
  await postgres?.destroy();
  removeTempDirs();
});

describe('migrate() on real Postgres', () => {
  test('a second run applies nothing and the ledger lists every migration once', async () => {
    const db = pool(await freshDatabase());

    const first = await migrate(db, logger);
    expect(first).toEqual({ applied: VERSIONS, version: LATEST_VERSION });
    const second = await migrate(db, logger);
    expect(second).toEqual({ applied: [], version: LATEST_VERSION });

    expect(await ledger(db)).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    expect(await tableExists(db, 'memories')).toBe(true);
    expect(await tableExists(db, 'api_keys')).toBe(true);
  });

  test('schemaVersion() is 0 before the first migration and LATEST_VERSION after', async () => {
    const db = pool(await freshDatabase());
    expect(await schemaVersion(db)).toBe(0);
    await migrate(db, logger);
    expect(await schemaVersion(db)).toBe(LATEST_VERSION);
  });

  test('five concurrent runs on separate pools all succeed and apply each migration exactly once', async () => {
    const url = await freshDatabase();
    const dbs = Array.from({ length: 5 }, () => pool(url));

    const results = await Promise.all(dbs.map((db) => migrate(db, logger)));

    expect(results.map((result) => result.version)).toEqual(Array(5).fill(LATEST_VERSION));
    expect(results.flatMap((result) => result.applied).sort((a, b) => a - b)).toEqual(VERSIONS);
    const { rows } = await (dbs[0] as PostgresPool).query<{ version: number; runs: string }>(
      'SELECT version, count(*) AS runs FROM mcpenv_schema_migrations GROUP BY version ORDER BY version',
    );
    expect(rows).toEqual(VERSIONS.map((version) => ({ version, runs: '1' })));
    // Every run released the advisory lock.
    const locks = await (dbs[0] as PostgresPool).query<{ held: string }>(
      "SELECT count(*) AS held FROM pg_locks WHERE locktype = 'advisory'",
    );
    expect(locks.rows[0]?.held).toBe('0');
  }, 30_000);

  test('rejects a migration whose SQL changed after it was applied, naming its version', async () => {
    const db = pool(await freshDatabase());
    await migrate(db, logger);
    const [first, ...rest] = MIGRATIONS as [Migration, ...Migration[]];
    const edited = [
      { ...first, sql: `${first.sql}\nCREATE INDEX memories_extra_idx ON memories (id);` },
      ...rest,
    ];

    await expect(migrate(db, logger, edited)).rejects.toThrow(
      /^migration 1 \(memories\) changed after it was applied/,
    );
    expect(await tableExists(db, 'memories_extra_idx')).toBe(false);
    expect(await schemaVersion(db)).toBe(LATEST_VERSION);
  });

  test('fails on bad SQL, naming the migration, and rolls it back whole', async () => {
    const db = pool(await freshDatabase());
    const broken: Migration = {
      version: LATEST_VERSION + 1,
      name: 'broken_step',
      sql: 'CREATE TABLE broken_step (id integer); SELECT * FROM no_such_table;',
    };

    await expect(migrate(db, logger, [...MIGRATIONS, broken])).rejects.toThrow(
      new RegExp(`^migration ${broken.version} \\(broken_step\\) failed: .*no_such_table`),
    );
    expect(await tableExists(db, 'broken_step')).toBe(false);
    expect((await ledger(db)).map((row) => row.version)).toEqual(VERSIONS);
    expect(await schemaVersion(db)).toBe(LATEST_VERSION);
  });
});

describe('mcpenv migrate', () => {
  test('--json migrates the database and prints the version as JSON', async () => {
    const url = await freshDatabase();
    const result = runCli(['migrate', '--json'], {
      env: { DATABASE_URL: url, REDIS_URL: 'redis://127.0.0.1:1', PUBLIC_URL },
    });

    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      applied: VERSIONS,
      version: LATEST_VERSION,
      latest: LATEST_VERSION,
    });
    expect(await schemaVersion(pool(url))).toBe(LATEST_VERSION);
  }, 60_000);

  test('reads the password from PGPASSWORD_FILE, as the Kubernetes init container gets it', async () => {
    const url = new URL(await freshDatabase());
    const dir = tempDir('mcpenv-migrate-secret-');
    const passwordFile = path.join(dir, 'PGPASSWORD');
    // As a Secret made with --from-file holds it: with a trailing newline.
    fs.writeFileSync(passwordFile, `${decodeURIComponent(url.password)}\n`, { mode: 0o440 });
    const byParts = {
      DATABASE_URL: '',
      PGHOST: url.hostname,
      PGPORT: url.port,
      PGDATABASE: url.pathname.slice(1),
      PGUSER: decodeURIComponent(url.username),
      PGPASSWORD: '',
      PGSSLMODE: 'disable',
    };

    const result = runCli(['migrate', '--json'], { env: { ...byParts, PGPASSWORD_FILE: passwordFile } });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: LATEST_VERSION });
    expect(await schemaVersion(pool(url.toString()))).toBe(LATEST_VERSION);

    // A wrong password in the file is refused: the password really comes from it.
    fs.writeFileSync(passwordFile, 'not-the-password\n');
    const refused = runCli(['migrate'], { env: { ...byParts, PGPASSWORD_FILE: passwordFile } });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/password authentication failed/);
    expect(refused.stderr).not.toContain('not-the-password');
  }, 60_000);

  test('fails with exit code 2 naming DATABASE_URL when it is not set', () => {
    const result = runCli(['migrate'], { env: { DATABASE_URL: '', REDIS_URL: '' } });

    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/DATABASE_URL must be set/);
    expect(result.stdout).toBe('');
  }, 60_000);
});
