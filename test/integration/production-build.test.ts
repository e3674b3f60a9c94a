import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { removeTempDirs, tempDir } from '../helpers/fixtures';
import {
  type BuiltServer,
  type DockerfileStage,
  jsonRpcMessages,
  minimalEnv,
  packagesLoadedBy,
  readDockerfileStages,
  runBounded,
  startBuiltServer,
} from '../helpers/production-build';

// Needs no Docker engine: it checks the Dockerfile's text, then does by hand what its runtime
// stage does: compiled output, production dependencies only, `node lib/bin/mcpenv.js`.

const ROOT = path.resolve(__dirname, '..', '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface PackageManifest {
  readonly bin: Record<string, string>;
  readonly dependencies: Record<string, string>;
  readonly devDependencies: Record<string, string>;
}
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageManifest;

/** The runtime stage's install; the Dockerfile tests check it keeps --omit=dev and --ignore-scripts. */
const NPM_CI_PRODUCTION = ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'];

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

  test('installs production dependencies only in the runtime stage, without install scripts', () => {
    const installs = argsOf(runtimeStage, 'RUN').filter((args) => /\bnpm ci\b/.test(args));
    expect(installs).toHaveLength(1);
    expect(installs[0]?.split(/\s+/)).toEqual(expect.arrayContaining(['--omit=dev', '--ignore-scripts']));
    expect(argsOf(runtimeStage, 'COPY').filter((args) => args.includes('node_modules'))).toEqual([]);
  });

  test('runs the runtime stage as a non-root numeric user and group', () => {
    const user = runtimeUser();
    expect(user).toBeDefined();
    expect(user?.uid).toBeGreaterThan(0);
    expect(user?.gid).toBeGreaterThan(0);
  });

  test('starts the CLI that package.json names as its bin, in production mode', () => {
    expect(argsOf(runtimeStage, 'ENTRYPOINT').map((args) => JSON.parse(args) as unknown)).toEqual([
      ['node', manifest.bin.mcpenv],
    ]);
    expect(argsOf(runtimeStage, 'ENV')).toContain('NODE_ENV=production');
  });

  test('copies every folder tsconfig.build.json compiles into the build stage', () => {
    const { include } = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    const copied = argsOf(stages[0], 'COPY').map((args) => args.split(/\s+/)[0]);
    expect(copied).toEqual(expect.arrayContaining(include));
  });
});

describe('the production build, with production dependencies only', () => {
  let dir: string;

  beforeAll(async () => {
    if (!fs.existsSync(TSC)) throw new Error(`${TSC} is missing: install the devDependencies with npm ci`);
    dir = tempDir('mcpenv-production-');
    await runBounded(
      process.execPath,
      [TSC, '-p', 'tsconfig.build.json', '--outDir', path.join(dir, 'lib')],
      {
        cwd: ROOT,
        env: minimalEnv(),
        timeoutMs: 180_000,
      },
    );
    for (const file of ['package.json', 'package-lock.json']) {
      fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
    }
    fs.cpSync(path.join(ROOT, 'app', 'environments'), path.join(dir, 'app', 'environments'), {
      recursive: true,
    });
    await runBounded('npm', NPM_CI_PRODUCTION, { cwd: dir, env: minimalEnv(), timeoutMs: 300_000 });
  }, 540_000);

  afterAll(removeTempDirs);

  test('installs every dependency and no devDependency', () => {
    const installed = (name: string) => fs.existsSync(path.join(dir, 'node_modules', name, 'package.json'));
    expect(Object.keys(manifest.devDependencies).filter(installed)).toEqual([]);
    expect(Object.keys(manifest.dependencies).filter((name) => !installed(name))).toEqual([]);
  });

  test('loads only production dependencies from the compiled code, lazily loaded ones included', () => {
    const loaded = packagesLoadedBy(path.join(dir, 'lib'));
    expect(loaded).toContain('commander');
    expect(loaded.filter((name) => !(name in manifest.dependencies))).toEqual([]);
  });

  test('skips no install script a production dependency declares', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }>;
    };
    const needingScripts = Object.entries(lock.packages)
      .filter(([, entry]) => !entry.dev && entry.hasInstallScript)
      .map(([location]) => location);
    expect(needingScripts).toEqual([]);
  });

  describe('`mcpenv synth --env prod`', () => {
    let outDir: string;

    // runBounded rejects unless the CLI exits 0.
    beforeAll(async () => {
      outDir = path.join(dir, 'out');
      await runBounded(process.execPath, ['lib/bin/mcpenv.js', 'synth', '--env', 'prod', '--out', outDir], {
        cwd: dir,
        env: minimalEnv({ NODE_ENV: 'production' }),
        timeoutMs: 60_000,
      });
    }, 70_000);

    test('exits 0 and writes the Kubernetes manifests', () => {
      expect(fs.existsSync(path.join(outDir, 'kubernetes', 'mcpenv.k8s.yaml'))).toBe(true);
    });

    test("runs the Deployment as the Dockerfile's user, on the port the Dockerfile exposes", () => {
      const text = fs.readFileSync(path.join(outDir, 'kubernetes', 'mcpenv.k8s.yaml'), 'utf8');
      const deployment = parseAllDocuments(text)
        .map((doc) => doc.toJS() as { kind?: string; spec?: Record<string, unknown> })
        .find((object) => object.kind === 'Deployment');
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
  });

  describe('`mcpenv serve`', () => {
    let server: BuiltServer | undefined;
    const url = () => {
      if (!server) throw new Error('the server did not start');
      return server.url;
    };

    // Loopback and a random port, unlike the image's 0.0.0.0:3000: a test binds nothing public.
    beforeAll(async () => {
      server = await startBuiltServer(dir, minimalEnv({ NODE_ENV: 'production' }), 30_000);
    }, 40_000);

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
});
