import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Testing } from 'cdk8s';
import {
  SCRIPT_PRELUDE,
  backupScript,
  restoreScript,
  s3DownloadScript,
  s3UploadScript,
  VERIFY_DUMP_FUNCTION,
} from '../../constructs/k8s/backup';
import { Database } from '../../constructs/k8s/data';
import { McpEnvironment } from '../../constructs/k8s/environment';
import { findServerBinaries, type PostgresServer, startPostgres } from '../helpers/postgres';
import { requireProgram } from '../helpers/programs';
import { type RedisServer, startRedis } from '../helpers/redis';
import { createApiKeys, type ReferenceServer, startReferenceServer } from '../helpers/reference-server';

/**
 * Backups on real Postgres: memories stored through the reference server with the MCP SDK client
 * are dumped by the exact script the backup CronJob carries, restored into a fresh Postgres by the
 * exact script of the restore Job, and read back through a server on the restored database.
 * Damaged dumps are refused by the verification both scripts share, and retention keeps exactly
 * the newest dumps and nothing else is touched.
 */

/** Characters a pgpass file must escape, and shell quoting must survive. */
const PASSWORD = String.raw`p:ss\word "q" $HOME`;
const RETENTION = 3;
const DATABASE = 'app';
const DUMP_NAME = /^app-\d{8}T\d{6}Z\.dump$/;

interface Synthesized {
  readonly script: string;
  readonly env: Record<string, string>;
  readonly restoreScriptOf: (dump: string) => string;
}

/** The backup container's script and plain variables, from a synthesized environment with backups. */
function synthesizeBackup(): Synthesized {
  const chart = Testing.chart();
  const environment = new McpEnvironment(chart, 'Env', {
    image: 'ghcr.io/org/server:1.0.0',
    publicUrl: 'https://mcp.example.com',
    instance: 'it',
    database: Database.inCluster({ database: DATABASE, backup: { retention: RETENTION } }),
  });
  const cronJob = Testing.synth(chart).find((object) => object.kind === 'CronJob');
  const container = cronJob?.spec.jobTemplate.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const variable of container.env as { name: string; value?: string }[]) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
  }
  const backup = environment.postgresBackup;
  if (!backup) throw new Error('the environment has no backup');
  return {
    script: container.command[2] as string,
    env,
    restoreScriptOf(dump) {
      const job = backup.restoreJobManifest(dump) as {
        spec: { template: { spec: { containers: { command: string[] }[] } } };
      };
      return job.spec.template.spec.containers[0]?.command[2] as string;
    },
  };
}

let synthesized: Synthesized;
let source: PostgresServer;
let target: PostgresServer;
let sourceRedis: RedisServer;
let targetRedis: RedisServer;
let sourceServer: ReferenceServer;
let key: string;
let work: string;
let passwordFile: string;
let binDir: string;
const stored: {
  id: string;
  text: string;
  tags: string[];
  metadata: Record<string, unknown>;
  createdAt: string;
}[] = [];

beforeAll(async () => {
  requireProgram('bash', 'the Debian package bash');
  binDir = findServerBinaries();
  for (const program of ['pg_dump', 'pg_restore']) {
    if (!fs.existsSync(path.join(binDir, program))) {
      throw new Error(`${program} is not in ${binDir}: install the Debian package postgresql-client`);
    }
  }
  synthesized = synthesizeBackup();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpenv-backup-'));
  passwordFile = path.join(work, 'password');
  // As a Secret made with --from-file holds it: with a trailing newline.
  fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  [source, target, sourceRedis, targetRedis] = await Promise.all([
    startPostgres({ password: PASSWORD, database: DATABASE }),
    startPostgres({ password: PASSWORD, database: DATABASE }),
    startRedis(),
    startRedis(),
  ]);
  const keys = await createApiKeys(source.url, [{ tenant: 'acme' }]);
  key = keys.keys[0] as string;
  await keys.close();
  sourceServer = await startReferenceServer({ databaseUrl: source.url, redisUrl: sourceRedis.url });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([sourceServer?.stop()]);
  await Promise.allSettled([
    source?.destroy(),
    target?.destroy(),
    sourceRedis?.destroy(),
    targetRedis?.destroy(),
  ]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
}, 60_000);

async function mcpClient(server: ReferenceServer): Promise<Client> {
  const client = new Client({ name: 'mcpenv-backup-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  return client;
}

/** Runs one of the jobs' scripts with bash as its container would, against a local Postgres. */
function runScript(
  script: string,
  name: string,
  server: PostgresServer,
  env: Record<string, string>,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('bash', ['-c', script, name], {
    env: {
      PATH: `${binDir}:${process.env.PATH ?? ''}`,
      TMPDIR: work,
      PGHOST: '127.0.0.1',
      PGPORT: String(server.port),
      PGDATABASE: DATABASE,
      PGUSER: 'app',
      PGSSLMODE: 'disable',
      PGCONNECT_TIMEOUT: '10',
      BACKUP_PASSWORD_FILE: passwordFile,
      ...env,
    },
    encoding: 'utf8',
    timeout: 120_000,
    // No socket on stdin: bash would take itself for a remote shell and read ~/.bashrc.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The backup container's variables, with the storage at `dir`. */
function backupEnv(dir: string): Record<string, string> {
  return {
    BACKUP_PREFIX: synthesized.env.BACKUP_PREFIX as string,
    BACKUP_RETENTION: synthesized.env.BACKUP_RETENTION as string,
    BACKUP_DIR: dir,
  };
}

function runBackup(dir: string) {
  return runScript(synthesized.script, 'postgres-backup', source, backupEnv(dir));
}

function runRestore(dir: string, dump: string) {
  return runScript(synthesized.restoreScriptOf(dump), 'postgres-restore', target, {
    BACKUP_DIR: dir,
    RESTORE_DUMP_NAME: dump,
  });
}

function newDir(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  return dir;
}

async function memoryCount(server: ReferenceServer): Promise<number> {
  const client = await mcpClient(server);
  try {
    const found = (await client.callTool({
      name: 'memory_search',
      arguments: { query: 'backup', limit: 50 },
    })) as {
      structuredContent: { items: unknown[] };
    };
    return found.structuredContent.items.length;
  } finally {
    await client.close();
  }
}

let fullDump: string;

describe('a backup restored into a fresh Postgres', () => {
  let restoredServer: ReferenceServer;

  afterAll(() => restoredServer?.stop(), 30_000);

  test('the CronJob carries the backup script with the synthesized settings', () => {
    expect(synthesized.script).toBe(backupScript());
    expect(synthesized.env).toMatchObject({
      BACKUP_PREFIX: `${DATABASE}-`,
      BACKUP_RETENTION: String(RETENTION),
    });
    expect(synthesized.restoreScriptOf('app-20260105T030000Z.dump')).toBe(restoreScript());
  });

  test('gives back every memory stored through the MCP client before the backup, exactly', async () => {
    const client = await mcpClient(sourceServer);
    try {
      for (let i = 0; i < 8; i++) {
        // Random text does not compress, so the dump is mostly table data (the corruption tests rely on it).
        const text = `backup memory ${i}: ${randomBytes(3000).toString('base64')} ünïcødé ✓ 'quotes' "and" \\ backslashes`;
        const tags = [`tag-${i}`, 'backup'];
        const metadata = { index: i, nested: { ok: true, list: [1, 'two', null] } };
        const result = (await client.callTool({
          name: 'memory_store',
          arguments: { text, tags, metadata },
        })) as {
          structuredContent: { id: string; createdAt: string };
        };
        stored.push({ ...result.structuredContent, text, tags, metadata });
      }
    } finally {
      await client.close();
    }

    const dir = newDir('pvc');
    const backup = runBackup(dir);
    expect(backup.stderr).toBe('');
    expect(backup.status).toBe(0);
    const files = fs.readdirSync(dir);
    expect(files).toHaveLength(1);
    const [dump] = files as [string];
    expect(dump).toMatch(DUMP_NAME);
    expect(backup.stdout).toContain(`stored ${path.join(dir, dump)}`);
    fullDump = path.join(dir, dump);

    const restore = runRestore(dir, dump);
    expect(restore.stderr).toBe('');
    expect(restore.status).toBe(0);
    expect(restore.stdout).toContain(`restored ${fullDump} into the database ${DATABASE}`);

    restoredServer = await startReferenceServer({ databaseUrl: target.url, redisUrl: targetRedis.url });
    const reader = await mcpClient(restoredServer);
    try {
      for (const memory of stored) {
        const got = (await reader.callTool({ name: 'memory_get', arguments: { id: memory.id } })) as {
          isError?: boolean;
          structuredContent: unknown;
        };
        expect(got.isError).toBeFalsy();
        expect(got.structuredContent).toEqual({
          id: memory.id,
          text: memory.text,
          tags: memory.tags,
          metadata: memory.metadata,
          createdAt: memory.createdAt,
        });
      }
    } finally {
      await reader.close();
    }
    expect(await memoryCount(restoredServer)).toBe(stored.length);
  }, 120_000);

  describe('a damaged dump', () => {
    const damaged = (name: string, damage: (bytes: Buffer) => Buffer): { dir: string; dump: string } => {
      const dir = newDir(name);
      const dump = path.basename(fullDump);
      fs.writeFileSync(path.join(dir, dump), damage(fs.readFileSync(fullDump)));
      return { dir, dump };
    };
    const truncate = (bytes: Buffer) => bytes.subarray(0, Math.floor(bytes.length * 0.6));
    // Flips 256 bytes three quarters in, inside the compressed table data of the memories.
    const flip = (bytes: Buffer) => {
      const copy = Buffer.from(bytes);
      const start = Math.floor(copy.length * 0.75);
      for (let i = start; i < start + 256; i++) copy[i] = (copy[i] ?? 0) ^ 0xff;
      return copy;
    };

    test.each([
      ['truncated', truncate],
      ['with flipped bytes', flip],
    ])(
      '%s makes the restore fail loudly and leaves the database as it was',
      async (_what, damage) => {
        const { dir, dump } = damaged(`restore-${_what.replace(/\W+/g, '-')}`, damage);
        const restore = runRestore(dir, dump);
        expect(restore.status).toBe(1);
        expect(restore.stderr).toContain(`postgres-restore: ${path.join(dir, dump)} failed verification`);
        expect(restore.stdout).not.toContain('restored');
        expect(await memoryCount(restoredServer)).toBe(stored.length);
      },
      60_000,
    );

    test.each([
      ['truncated', truncate],
      ['with flipped bytes', flip],
    ])('%s is rejected by the verification step of the backup script', (_what, damage) => {
      // The backup script's own prelude and verification, run on a damaged temporary dump.
      const verify = [...SCRIPT_PRELUDE, VERIFY_DUMP_FUNCTION, 'verify_dump "$1"'].join('\n');
      const script = backupScript();
      expect(script.startsWith(SCRIPT_PRELUDE.join('\n'))).toBe(true);
      expect(script.indexOf(VERIFY_DUMP_FUNCTION)).toBeGreaterThan(0);
      expect(script.indexOf('verify_dump "$partial"')).toBeLessThan(script.indexOf('mv -f -T'));
      const { dir, dump } = damaged(`verify-${_what.replace(/\W+/g, '-')}`, damage);
      const partial = path.join(dir, `.${dump}.partial`);
      fs.renameSync(path.join(dir, dump), partial);
      const result = spawnSync('bash', ['-c', verify, 'postgres-backup', partial], {
        env: { PATH: `${binDir}:${process.env.PATH ?? ''}`, TMPDIR: work },
        encoding: 'utf8',
        timeout: 60_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`postgres-backup: ${partial} failed verification`);
    });

    test('a dump that is not there makes the restore fail and name the dumps that are', () => {
      const dir = path.dirname(fullDump);
      const restore = runRestore(dir, 'app-20190101T000000Z.dump');
      expect(restore.status).toBe(1);
      expect(restore.stderr).toContain(
        `postgres-restore: there is no dump ${path.join(dir, 'app-20190101T000000Z.dump')}; the dumps there: ${path.basename(fullDump)}`,
      );
    });

    test('the verification accepts the intact dump', () => {
      const verify = [...SCRIPT_PRELUDE, VERIFY_DUMP_FUNCTION, 'verify_dump "$1"'].join('\n');
      const result = spawnSync('bash', ['-c', verify, 'postgres-backup', fullDump], {
        env: { PATH: `${binDir}:${process.env.PATH ?? ''}`, TMPDIR: work },
        encoding: 'utf8',
        timeout: 60_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });
  });
});

/** Waits, boundedly, until the UTC second changes, so the next dump gets a name of its own. */
async function nextSecond(): Promise<void> {
  const now = new Date().toISOString().slice(0, 19);
  for (let i = 0; i < 40 && new Date().toISOString().slice(0, 19) === now; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('retention keeps exactly the newest dumps and touches nothing else in the folder', async () => {
  const dir = newDir('retention');
  const dumpCopy = fs.readFileSync(fullDump);
  const older = ['app-20200101T000000Z.dump', 'app-20200102T000000Z.dump'];
  for (const name of older) fs.writeFileSync(path.join(dir, name), dumpCopy);
  const others: Record<string, string> = {
    'notes.txt': 'keep me',
    'app-latest.dump': 'not a timestamped dump',
    'other-20190101T000000Z.dump': 'another prefix',
    'app-2019.dump': 'no full timestamp',
  };
  for (const [name, text] of Object.entries(others)) fs.writeFileSync(path.join(dir, name), text);
  // What a run that was killed mid-dump leaves: cleaned up by the next run.
  fs.writeFileSync(path.join(dir, '.app-20200103T000000Z.partial'), 'half a dump');

  const made: string[] = [];
  for (let run = 1; run <= RETENTION + 2; run++) {
    await nextSecond();
    const result = runBackup(dir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const dumps = fs
      .readdirSync(dir)
      .filter((name) => DUMP_NAME.test(name))
      .sort();
    const newest = dumps[dumps.length - 1] as string;
    expect(made).not.toContain(newest);
    made.push(newest);
    expect(dumps).toEqual([...older, ...made].slice(-RETENTION));
  }
  expect(fs.readdirSync(dir).sort()).toEqual([...made.slice(-RETENTION), ...Object.keys(others)].sort());
  for (const [name, text] of Object.entries(others)) {
    expect(fs.readFileSync(path.join(dir, name), 'utf8')).toBe(text);
  }
}, 120_000);

test('a backup that cannot log in fails loudly and leaves no file behind', () => {
  const dir = newDir('wrong-password');
  const wrong = path.join(work, 'wrong-password.txt');
  fs.writeFileSync(wrong, 'not the password\n', { mode: 0o600 });
  const result = runScript(synthesized.script, 'postgres-backup', source, {
    ...backupEnv(dir),
    BACKUP_PASSWORD_FILE: wrong,
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('password authentication failed');
  expect(result.stderr).toContain(
    `postgres-backup: pg_dump of the database ${DATABASE} on 127.0.0.1:${source.port} failed`,
  );
  expect(fs.readdirSync(dir)).toEqual([]);
});

test.each([
  ['backup', backupScript],
  ['restore', restoreScript],
  ['S3 upload', s3UploadScript],
  ['S3 download', s3DownloadScript],
])('the %s script parses with bash', (_name, script) => {
  // The S3 steps need a bucket to run; bash reads every line of them here.
  const result = spawnSync('bash', ['-n', '-c', script()], {
    encoding: 'utf8',
    timeout: 10_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});
