import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildKubernetesApp, chartObjects } from '../../app/build';
import { loadEnvironment } from '../../app/environments';
import { removeTempDirs, tempDir } from '../helpers/fixtures';
import { descendantsOf, type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver';
import {
  type BuiltServer,
  type DockerfileStage,
  jsonRpcMessages,
  minimalEnv,
  packagesLoadedBy,
  readDockerfileStages,
  runBounded,
  startBuiltServer,
  treeBytes,
} from '../helpers/production-build';
import { type Backends, MCP_HEADERS, PUBLIC_URL, startBackends } from '../helpers/reference-server';

// Needs no Docker engine: it checks the Dockerfile's text, then does by hand what its runtime
// stage does: the two packages compiled, the server's production dependencies only, and
// `node server/lib/bin.js serve`.

const ROOT = path.resolve(__dirname, '..', '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
/** What the image's install may hold at most (issue 11's target). */
const MAX_INSTALL_BYTES = 80 * 1024 * 1024;

interface PackageManifest {
  readonly bin: Record<string, string>;
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
  readonly engines: { readonly node: string };
  readonly peerDependencies: Record<string, string>;
}
const readManifest = (folder: string) =>
  JSON.parse(fs.readFileSync(path.join(ROOT, folder, 'package.json'), 'utf8')) as PackageManifest;
const rootManifest = readManifest('.');
const serverManifest = readManifest('server');
/** The workspace packages the image is built from, in build order. */
const PACKAGE_FOLDERS = ['constructs/contract', 'server'];
/** The library and the construct libraries and providers it takes as peers: none may reach the image. */
const LIBRARY_ONLY = [
  'mcpenv',
  ...Object.keys(rootManifest.peerDependencies).filter((name) => !name.startsWith('@mcpenv/')),
];

/** The runtime stage's install; the Dockerfile tests check it keeps --omit=dev and --ignore-scripts. */
const NPM_CI_PRODUCTION = [
  'ci',
  '--omit=dev',
  '--ignore-scripts',
  '--no-audit',
  '--no-fund',
  '--workspace',
  '@mcpenv/server',
];

const stages = readDockerfileStages(path.join(ROOT, 'Dockerfile'));
const runtimeStage = stages[stages.length - 1];

function argsOf(stage: DockerfileStage | undefined, keyword: string): string[] {
  return (stage?.instructions ?? []).filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** The runtime stage's last `USER`, as numbers; undefined unless it is `uid:gid` in digits. */
function runtimeUser(): { uid: number; gid: number } | undefined {
  const match = /^(\d+):(\d+)$/.exec(argsOf(runtimeStage, 'USER').at(-1) ?? '');
  return match ? { uid: Number(match[1]), gid: Number(match[2]) } : undefined;
}

describe('the Dockerfile', () => {
  test('has a build stage and a separate runtime stage', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
  });

  test('bases both stages on Node 24, pinned to a full version, as the server package requires', () => {
    const base = /^ARG NODE_IMAGE=node:(\d+)\.(\d+)\.(\d+)-bookworm-slim$/m.exec(
      fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'),
    );
    expect(base?.[1]).toBe('24');
    expect(stages.map((stage) => stage.base)).toEqual(['${NODE_IMAGE}', '${NODE_IMAGE}']);
    expect(serverManifest.engines.node).toBe('>=24.0.0');
  });

  test("installs the server package's production dependencies only in the runtime stage, without install scripts", () => {
    const installs = argsOf(runtimeStage, 'RUN').filter((args) => /\bnpm ci\b/.test(args));
    expect(installs).toHaveLength(1);
    expect(installs[0]?.split(/\s+/)).toEqual(
      expect.arrayContaining(['--omit=dev', '--ignore-scripts', '--workspace', '@mcpenv/server']),
    );
    expect(argsOf(runtimeStage, 'COPY').filter((args) => args.includes('node_modules'))).toEqual([]);
  });

  test('runs the runtime stage as a non-root numeric user and group', () => {
    const user = runtimeUser();
    expect(user).toBeDefined();
    expect(user?.uid).toBeGreaterThan(0);
    expect(user?.gid).toBeGreaterThan(0);
  });

  test('starts the bin that the server package names, in production mode', () => {
    expect(argsOf(runtimeStage, 'ENTRYPOINT').map((args) => JSON.parse(args) as unknown)).toEqual([
      ['node', `server/${serverManifest.bin['mcpenv-server']}`],
    ]);
    expect(argsOf(runtimeStage, 'ENV')).toContain('NODE_ENV=production');
  });

  test('copies the two workspace packages and nothing else of the repository into the build stage', () => {
    const copied = argsOf(stages[0], 'COPY').map((args) => args.split(/\s+/)[0]);
    expect(copied).toEqual([
      'package.json',
      ...PACKAGE_FOLDERS.map((folder) => `${folder}/package.json`),
      ...PACKAGE_FOLDERS,
    ]);
  });
});

describe("the server image's install, with production dependencies only", () => {
  let dir: string;

  beforeAll(async () => {
    if (!fs.existsSync(TSC)) throw new Error(`${TSC} is missing: install the devDependencies with npm ci`);
    dir = tempDir('mcpenv-production-');
    for (const file of ['package.json', 'package-lock.json']) {
      fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
    }
    // Compiled in build order, each with its own tsconfig, into the image's layout.
    for (const folder of PACKAGE_FOLDERS) {
      fs.mkdirSync(path.join(dir, folder), { recursive: true });
      fs.copyFileSync(path.join(ROOT, folder, 'package.json'), path.join(dir, folder, 'package.json'));
      await runBounded(process.execPath, [TSC, '-p', path.join(folder, 'tsconfig.json')], {
        cwd: ROOT,
        env: minimalEnv(),
        timeoutMs: 180_000,
      });
      fs.cpSync(path.join(ROOT, folder, 'lib'), path.join(dir, folder, 'lib'), { recursive: true });
    }
    await runBounded('npm', NPM_CI_PRODUCTION, { cwd: dir, env: minimalEnv(), timeoutMs: 300_000 });
  }, 540_000);

  afterAll(removeTempDirs);

  const installed = (name: string) => fs.existsSync(path.join(dir, 'node_modules', name, 'package.json'));
  /**
   * Installed and not a type package: a production dependency may declare type packages for its
   * published types (@opentelemetry/instrumentation-pg declares @types/pg), which hold no code.
   */
  const installedCode = (name: string) => installed(name) && !name.startsWith('@types/');

  test("installs every dependency of the server and none of the library's packages", () => {
    expect(Object.keys(serverManifest.dependencies).filter((name) => !installed(name))).toEqual([]);
    expect([...LIBRARY_ONLY, ...Object.keys(serverManifest.devDependencies)].filter(installedCode)).toEqual(
      [],
    );
    expect(
      Object.keys(rootManifest.devDependencies).filter(
        (name) => installedCode(name) && !(name in serverManifest.dependencies),
      ),
    ).toEqual([]);
  });

  test(`holds at most ${MAX_INSTALL_BYTES / 1024 / 1024} MB`, () => {
    const bytes = treeBytes(path.join(dir, 'node_modules'));
    process.stderr.write(`server image install: ${(bytes / 1024 / 1024).toFixed(1)} MB in node_modules\n`);
    expect(bytes).toBeLessThanOrEqual(MAX_INSTALL_BYTES);
  });

  test('loads only its own production dependencies from the compiled code, lazily loaded ones included', () => {
    const loaded = PACKAGE_FOLDERS.flatMap((folder) => packagesLoadedBy(path.join(dir, folder, 'lib')));
    expect(loaded).toContain('express');
    expect(loaded.filter((name) => !(name in serverManifest.dependencies))).toEqual([]);
  });

  test('skips no install script a production dependency declares', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }>;
    };
    const needingScripts = Object.entries(lock.packages)
      .filter(
        ([location, entry]) =>
          !entry.dev && entry.hasInstallScript && installed(location.replace(/^.*node_modules\//, '')),
      )
      .map(([location]) => location);
    expect(needingScripts).toEqual([]);
  });

  test("runs the synthesized Deployment as the Dockerfile's user, on the port the Dockerfile exposes", () => {
    const deployment = chartObjects(buildKubernetesApp(loadEnvironment('prod'))).find(
      (object) => object.kind === 'Deployment',
    );
    const user = runtimeUser();
    expect(deployment?.spec).toMatchObject({
      template: {
        spec: {
          securityContext: { runAsUser: user?.uid, runAsGroup: user?.gid },
          containers: [
            { ports: [{ containerPort: Number.parseInt(argsOf(runtimeStage, 'EXPOSE')[0] ?? '', 10) }] },
          ],
        },
      },
    });
  });

  describe('`mcpenv-server serve`', () => {
    let server: BuiltServer | undefined;
    const url = () => {
      if (!server) throw new Error('the server did not start');
      return server.url;
    };

    // Loopback and a random port, unlike the image's 0.0.0.0:3000: a test binds nothing public.
    beforeAll(async () => {
      server = await startBuiltServer(
        dir,
        `server/${serverManifest.bin['mcpenv-server']}`,
        minimalEnv({ NODE_ENV: 'production' }),
        // PGlite's first start; generous for a busy shared machine (a bound, not a measurement).
        90_000,
      );
    }, 100_000);

    afterAll(() => server?.kill());

    test('answers GET /healthz with 200', async () => {
      const response = await fetch(`${url()}/healthz`, { signal: AbortSignal.timeout(10_000) });
      expect(response.status).toBe(200);
    });

    test('answers an MCP initialize as mcpenv-reference-server', async () => {
      const response = await fetch(`${url()}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 't', version: '1' },
          },
        }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = await response.text();
      expect({ status: response.status, body }).toEqual({ status: 200, body: expect.any(String) });
      expect(jsonRpcMessages(response.headers.get('content-type') ?? '', body)).toContainEqual(
        expect.objectContaining({
          id: 1,
          result: expect.objectContaining({
            serverInfo: expect.objectContaining({ name: 'mcpenv-reference-server' }),
          }),
        }),
      );
    });

    test('exits 0 on SIGTERM', async () => {
      if (!server) throw new Error('the server did not start');
      await expect(server.stop(30_000)).resolves.toBe(0);
    }, 40_000);
  });

  // The compiled code loads pg and ioredis with Node's require after tracing started, so their
  // instrumentations patch the copies the image installs.
  describe('`mcpenv-server serve` with tracing, on Postgres and Redis', () => {
    let backends: Backends;
    let receiver: OtlpReceiver;
    let server: BuiltServer | undefined;

    beforeAll(async () => {
      [backends, receiver] = await Promise.all([startBackends({ tenants: ['alpha'] }), startOtlpReceiver()]);
      server = await startBuiltServer(
        dir,
        `server/${serverManifest.bin['mcpenv-server']}`,
        minimalEnv({
          NODE_ENV: 'production',
          DATABASE_URL: backends.postgres.url,
          REDIS_URL: backends.redis.url,
          PUBLIC_URL,
          MIGRATE_ON_START: 'true',
          SHUTDOWN_DELAY_SECONDS: '0',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_BSP_SCHEDULE_DELAY: '50',
        }),
        90_000,
      );
    }, 150_000);

    afterAll(async () => {
      server?.kill();
      await receiver?.close();
      await backends?.destroy();
    });

    test('exports the span of a tool call with the Postgres and Redis calls beneath it', async () => {
      if (!server) throw new Error('the server did not start');
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const response = await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: { ...MCP_HEADERS, authorization: `Bearer ${backends.keys[0]}` },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: {
            name: 'memory_store',
            arguments: { text: 'traced from the image layout' },
            _meta: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
          },
        }),
        signal: AbortSignal.timeout(10_000),
      });
      expect(response.status).toBe(200);
      const systems = () => {
        const root = receiver.spans.find((s) => s.traceId === traceId && s.kind === 'SPAN_KIND_SERVER');
        return new Set(
          root ? descendantsOf(root, receiver.spans).map((s) => s.attributes['db.system.name']) : [],
        );
      };
      await receiver.waitForSpans(() => systems().has('postgresql') && systems().has('redis'), 20_000);
      await expect(server.stop(30_000)).resolves.toBe(0);
    }, 60_000);
  });
});
