import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readTree, removeTempDirs, tempDir } from '../helpers/fixtures';
import {
  type BuiltServer,
  minimalEnv,
  nodeBin,
  runBounded,
  startBuiltServer,
  treeBytes,
} from '../helpers/production-build';
import { OfflineTerraform, type TerraformPlan } from '../helpers/terraform';

// Adoption as an org does it (examples/org-repo): the packed tarballs installed into a project
// of its own next to the newest peers mcpenv's ranges allow, then strict tsc, `cdk8s synth`,
// `cdktf synth` and an offline `terraform plan`, on Node 24 and again on the oldest Node that
// mcpenv's `engines` names.

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'org-repo');
const MB = 1024 * 1024;
/** What the library may add to an install of its peer libraries (issue 11's target). */
const MAX_LIBRARY_BYTES = 60 * MB;

interface Manifest {
  readonly version: string;
  readonly engines: { readonly node: string };
  readonly peerDependencies: Record<string, string>;
  readonly peerDependenciesMeta: Record<string, { optional?: boolean }>;
  readonly devDependencies: Record<string, string>;
}
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const OLDEST_NODE = /^>=(\d+\.\d+\.\d+)$/.exec(manifest.engines.node)?.[1];

/** The peers the example uses, at the newest versions mcpenv's ranges allow (npm picks the highest). */
const EXAMPLE_PEERS = ['constructs', 'cdk8s', 'cdk8s-plus-28', 'cdktf', '@cdktf/provider-aws'].map(
  (name) => `${name}@${manifest.peerDependencies[name]}`,
);
/** The org's own tool versions: what this repository builds with. */
const EXAMPLE_TOOLS = ['typescript', '@types/node'].map(
  (name) => `${name}@${manifest.devDependencies[name]}`,
);

const UPSTREAM_CLI = {
  cdk8s: path.join(ROOT, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s'),
  cdktf: path.join(ROOT, 'node_modules', 'cdktf-cli', 'bundle', 'bin', 'cdktf'),
};
const OFFLINE = {
  CHECKPOINT_DISABLE: '1',
  DISABLE_VERSION_CHECK: 'true',
  CDK8S_CHECK_UPGRADE: 'false',
  CI: 'true',
};

interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly data?: Record<string, string>;
}

const readObjects = (dir: string): KubernetesObject[] =>
  fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) => parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')))
    .map((doc) => doc.toJS() as KubernetesObject);

const objectKey = (o: KubernetesObject) =>
  `${o.apiVersion.split('/').slice(0, -1).join('/')} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

afterAll(removeTempDirs);

describe('an org repository that installs the packed mcpenv', () => {
  let work: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  const inProject = (program: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    runBounded(program, args, { cwd: project, env: { ...env, ...extraEnv }, timeoutMs: 900_000 });
  const node = (...args: string[]) => inProject(process.execPath, args);

  /** Runs the org's build and both synths with `nodeDir` first on PATH; returns the output folders. */
  async function buildAndSynth(label: string, nodeDir?: string) {
    const pathEnv = nodeDir ? { PATH: `${nodeDir}${path.delimiter}${env.PATH ?? ''}` } : {};
    const nodeBinary = nodeDir ? path.join(nodeDir, 'node') : process.execPath;
    const out = { kubernetes: path.join(work, `${label}-k8s`), terraform: path.join(work, `${label}-tf`) };
    fs.rmSync(path.join(project, 'lib'), { recursive: true, force: true });
    await inProject(
      nodeBinary,
      [path.join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
      pathEnv,
    );
    await inProject(nodeBinary, [UPSTREAM_CLI.cdk8s, 'synth', '--output', out.kubernetes], {
      ...OFFLINE,
      ...pathEnv,
    });
    if (nodeDir) {
      // cdktf-cli loads a native addon (node-pty) built for this repository's Node, so on another
      // Node the app runs as `cdktf synth` runs it: the cdktf.json app command with CDKTF_OUTDIR.
      await inProject(nodeBinary, [path.join('lib', 'data-tier.js')], {
        CDKTF_OUTDIR: out.terraform,
        ...pathEnv,
      });
    } else {
      await inProject(nodeBinary, [UPSTREAM_CLI.cdktf, 'synth', '--output', out.terraform], OFFLINE);
    }
    return out;
  }

  let current: { kubernetes: string; terraform: string };
  let tarballs: string[];

  beforeAll(async () => {
    for (const cli of Object.values(UPSTREAM_CLI)) {
      if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: install the devDependencies with npm ci`);
    }
    work = tempDir('mcpenv-org-');
    env = minimalEnv({
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    });
    const packs = path.join(work, 'packs');
    fs.mkdirSync(packs);
    // `npm pack` builds through prepack, as publishing does.
    await runBounded('npm', ['pack', '--pack-destination', packs], { cwd: ROOT, env, timeoutMs: 600_000 });
    for (const workspace of ['@mcpenv/contract', '@mcpenv/server']) {
      await runBounded('npm', ['pack', '--workspace', workspace, '--pack-destination', packs], {
        cwd: ROOT,
        env,
        timeoutMs: 300_000,
      });
    }
    project = path.join(work, 'acme-platform-iac');
    fs.cpSync(EXAMPLE, project, {
      recursive: true,
      filter: (source) => !/\/(node_modules|lib|dist|cdktf\.out)$/.test(source),
    });
    tarballs = fs.readdirSync(packs).map((file) => path.join(packs, file));
    // The org installs the library and the contract; the server only in the last test.
    await inProject('npm', [
      'install',
      ...tarballs.filter((file) => !path.basename(file).startsWith('mcpenv-server-')),
      ...EXAMPLE_PEERS,
      ...EXAMPLE_TOOLS,
    ]);
    current = await buildAndSynth('node-current');
  }, 1_800_000);

  test('resolves one and the same constructs from mcpenv, cdk8s, cdk8s-plus-28, cdktf and the provider', async () => {
    const { stdout } = await node(
      '-e',
      `const path = require('node:path');
       const from = ['mcpenv', 'cdk8s', 'cdk8s-plus-28', 'cdktf', '@cdktf/provider-aws'];
       const resolved = from.map((name) => {
         const dir = path.dirname(require.resolve(name + '/package.json'));
         return require('node:fs').realpathSync(require.resolve('constructs', { paths: [dir] }));
       });
       console.log(JSON.stringify(resolved));`,
    );
    const resolved = JSON.parse(stdout) as string[];
    expect(new Set(resolved).size).toBe(1);
    const copies: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const full = path.join(dir, entry.name);
        if (entry.name === 'constructs' && path.basename(dir) === 'node_modules') copies.push(full);
        walk(full);
      }
    };
    walk(path.join(project, 'node_modules'));
    expect(copies.map((copy) => path.relative(project, copy))).toEqual([
      path.join('node_modules', 'constructs'),
    ]);
  });

  test('installs the newest peers the ranges allow, and no server runtime or unused provider', () => {
    const installed = (name: string) =>
      fs.existsSync(path.join(project, 'node_modules', name, 'package.json'));
    for (const name of ['@mcpenv/server', '@cdktf/provider-kubernetes', 'express', 'pg', 'ioredis', 'jose']) {
      expect([name, installed(name)]).toEqual([name, false]);
    }
    const version = (name: string) =>
      (
        JSON.parse(
          fs.readFileSync(path.join(project, 'node_modules', name, 'package.json'), 'utf8'),
        ) as Manifest
      ).version;
    process.stderr.write(
      `org repo peers: ${['constructs', 'cdk8s', 'cdk8s-plus-28', 'cdktf', '@cdktf/provider-aws'].map((n) => `${n}@${version(n)}`).join(' ')}\n`,
    );
  });

  test('exports the chosen public API from the package root, and nothing from deep paths', async () => {
    const { stdout } = await node(
      '-e',
      `const root = Object.keys(require('mcpenv')).sort();
       const aws = Object.keys(require('mcpenv/aws')).sort();
       let deep = 'loaded';
       try { require('mcpenv/lib/constructs/k8s/data'); } catch (error) { deep = error.code; }
       console.log(JSON.stringify({ root, aws, deep }));`,
    );
    const api = JSON.parse(stdout) as { root: string[]; aws: string[]; deep: string };
    process.stderr.write(`public runtime exports: mcpenv ${api.root.length}, mcpenv/aws ${api.aws.length}\n`);
    expect(api.root).toEqual(
      expect.arrayContaining(['McpEnvironment', 'Database', 'Cache', 'ValidationError']),
    );
    expect(api.root).not.toEqual(expect.arrayContaining(['REDIS_START_SCRIPT']));
    for (const internal of ['REDIS_START_SCRIPT', 'quantityToBytes', 'firingShare', 'DNS_LABEL']) {
      expect(api.root).not.toContain(internal);
    }
    expect(api.aws).toEqual(expect.arrayContaining(['RdsPostgres', 'ElastiCacheRedis', 'DataNetwork']));
    expect(api.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  test('cdk8s synth writes both environments and the org object, with no kind/namespace/name twice', () => {
    const objects = readObjects(current.kubernetes);
    const keys = objects.map(objectKey);
    expect(keys.filter((key, index) => keys.indexOf(key) !== index)).toEqual([]);
    expect(
      objects
        .filter((o) => o.kind === 'Deployment')
        .map((o) => o.metadata.name)
        .sort(),
    ).toHaveLength(2);
    expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(new Set(['team-tools']));
    expect(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'platform-info')?.data).toEqual({
      owner: 'platform-team',
      'cost-center': 'cc-4711',
    });
  });

  test('cdktf synth writes the data tier, which terraform plans offline as creates only', () => {
    const stackDir = path.join(current.terraform, 'stacks', 'data-tier');
    const stack = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as {
      resource: Record<string, unknown>;
      variable?: Record<string, unknown>;
    };
    expect(Object.keys(stack.resource)).toEqual(
      expect.arrayContaining(['aws_db_instance', 'aws_elasticache_replication_group', 'aws_kms_key']),
    );
    // Every input variable (the Redis auth token) gets a dummy value: enough to plan.
    const variables = Object.fromEntries(
      Object.keys(stack.variable ?? {}).map((name) => [`TF_VAR_${name}`, 'plan-only-dummy-token-0123456789']),
    );
    const terraform = new OfflineTerraform(stackDir, tempDir('mcpenv-org-tf-'), '5.100.0', variables);
    terraform.run('init', '-input=false');
    terraform.run('plan', '-input=false', '-out=plan.tfplan', '-lock=false');
    const plan: TerraformPlan = terraform.showPlan('plan.tfplan');
    expect([...new Set(plan.resource_changes.flatMap((change) => change.change.actions))]).toEqual([
      'create',
    ]);
  }, 600_000);

  test('the installed mcpenv CLI runs, and names each missing optional peer with the command to add it', async () => {
    const cli = path.join('node_modules', 'mcpenv', 'lib', 'bin', 'mcpenv.js');
    expect((await node(cli, '--version')).stdout.trim()).toBe(manifest.version);
    const failing = (args: string[]) =>
      spawnSync(process.execPath, [cli, ...args], { cwd: project, env, encoding: 'utf8', timeout: 120_000 });
    const synth = failing(['synth', '--env', 'dev', '--out', path.join(work, 'cli-out')]);
    expect({ status: synth.status, stderr: synth.stderr }).toEqual({
      status: 2,
      stderr: expect.stringMatching(
        /@cdktf\/provider-kubernetes.*npm install @cdktf\/provider-kubernetes@\^12/,
      ),
    });
    const serve = failing(['serve']);
    expect({ status: serve.status, stderr: serve.stderr }).toEqual({
      status: 2,
      stderr: expect.stringMatching(/needs the reference server package.*npm install @mcpenv\/server/),
    });
  });

  test(`the library adds at most ${MAX_LIBRARY_BYTES / MB} MB to an install of its peer libraries`, async () => {
    const peersOnly = path.join(work, 'peers-only');
    fs.mkdirSync(peersOnly);
    fs.writeFileSync(
      path.join(peersOnly, 'package.json'),
      JSON.stringify({ name: 'peers-only', private: true }),
    );
    await runBounded('npm', ['install', ...EXAMPLE_PEERS], { cwd: peersOnly, env, timeoutMs: 600_000 });
    const withLibrary = treeBytes(path.join(project, 'node_modules'));
    const tools = ['typescript', '@types/node', 'undici-types'].reduce((total, name) => {
      const dir = path.join(project, 'node_modules', name);
      return total + (fs.existsSync(dir) ? treeBytes(dir) : 0);
    }, 0);
    const peers = treeBytes(path.join(peersOnly, 'node_modules'));
    const added = withLibrary - tools - peers;
    process.stderr.write(
      `library install: peers ${(peers / MB).toFixed(1)} MB, with mcpenv ${((withLibrary - tools) / MB).toFixed(1)} MB, ` +
        `added ${(added / MB).toFixed(1)} MB\n`,
    );
    expect(added).toBeLessThanOrEqual(MAX_LIBRARY_BYTES);
  }, 900_000);

  describe(`on Node ${OLDEST_NODE ?? '(engines names no minimum)'}, the oldest that engines allows`, () => {
    let oldest: { kubernetes: string; terraform: string };

    beforeAll(async () => {
      if (!OLDEST_NODE) throw new Error(`engines.node must be ">=x.y.z" (got ${manifest.engines.node})`);
      oldest = await buildAndSynth('node-oldest', nodeBin(OLDEST_NODE));
    }, 900_000);

    test('builds and synthesizes byte-identical output', () => {
      expect(readTree(oldest.kubernetes)).toEqual(readTree(current.kubernetes));
      expect(readTree(oldest.terraform)).toEqual(readTree(current.terraform));
    });
  });

  describe('with the server package installed next to it', () => {
    let server: BuiltServer | undefined;

    beforeAll(async () => {
      const serverTarball = tarballs.find((file) => path.basename(file).startsWith('mcpenv-server-'));
      if (!serverTarball) throw new Error(`no @mcpenv/server tarball among ${tarballs.join(', ')}`);
      await inProject('npm', ['install', serverTarball]);
      server = await startBuiltServer(
        project,
        path.join('node_modules', 'mcpenv', 'lib', 'bin', 'mcpenv.js'),
        { ...env, NODE_ENV: 'production' },
        90_000,
      );
    }, 600_000);

    afterAll(() => server?.kill());

    test('`mcpenv serve` starts the reference server from it', async () => {
      if (!server) throw new Error('the server did not start');
      const response = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
      expect(response.status).toBe(200);
      await expect(server.stop(30_000)).resolves.toBe(0);
    }, 60_000);
  });
});
