/**
 * Install-size benchmark: what an org's install of the library weighs next to its peers, what
 * the server image's install holds, and how many runtime names the package root exports, for
 * this working tree and for an earlier commit (the baseline), measured in the same run.
 *
 *   npm run bench:install -- [--before <git ref>]   (default 7cec8d2, before the package split)
 *
 * Needs the npm registry (or a warm npm cache) and git. Sizes are the bytes of every file, as an
 * image layer counts them.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { treeBytes } from '../test/helpers/production-build';

const ROOT = path.resolve(__dirname, '..');
const beforeFlag = process.argv.indexOf('--before');
const BEFORE = beforeFlag > 0 ? (process.argv[beforeFlag + 1] ?? '') : '7cec8d2';
if (!/^[\w./-]+$/.test(BEFORE)) {
  process.stderr.write('--before must be a git ref such as 7cec8d2 or main~3\n');
  process.exit(2);
}
const PEERS = ['constructs', 'cdk8s', 'cdk8s-plus-28', 'cdktf', '@cdktf/provider-aws'];
const MB = 1024 * 1024;

function run(program: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(program, args, { cwd, encoding: 'utf8', maxBuffer: 64 * MB, timeout: 1_200_000 });
  if (result.status !== 0) {
    throw new Error(`${program} ${args.join(' ')} (in ${cwd}) failed:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

interface Measurement {
  readonly libraryBytes: number;
  readonly imageBytes: number;
  readonly rootExports: number;
}

function project(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: path.basename(dir), private: true }),
  );
  return dir;
}

/** Packs the library (and the contract, where the tree has it) and measures the installs. */
function measure(tree: string, work: string, peerRanges: Record<string, string>): Measurement {
  const packs = path.join(work, 'packs');
  fs.mkdirSync(packs, { recursive: true });
  run('npm', ['pack', '--pack-destination', packs], tree);
  const hasContract = fs.existsSync(path.join(tree, 'constructs', 'contract', 'package.json'));
  if (hasContract) run('npm', ['pack', '--workspace', '@mcpenv/contract', '--pack-destination', packs], tree);
  const org = project(path.join(work, 'org'));
  const peers = PEERS.map((name) => `${name}@${peerRanges[name] ?? 'latest'}`);
  const tarballs = fs.readdirSync(packs).map((file) => path.join(packs, file));
  run('npm', ['install', '--no-audit', '--no-fund', ...tarballs, ...peers], org);
  const rootExports = Number(
    run(process.execPath, ['-e', "console.log(Object.keys(require('mcpenv')).length)"], org),
  );

  // The image's install: the production dependencies its Dockerfile installs.
  const image = path.join(work, 'image');
  fs.mkdirSync(image);
  for (const file of ['package.json', 'package-lock.json'])
    fs.copyFileSync(path.join(tree, file), path.join(image, file));
  const workspaceArgs: string[] = [];
  if (hasContract) {
    for (const folder of ['constructs/contract', 'server']) {
      fs.mkdirSync(path.join(image, folder), { recursive: true });
      fs.copyFileSync(path.join(tree, folder, 'package.json'), path.join(image, folder, 'package.json'));
    }
    workspaceArgs.push('--workspace', '@mcpenv/server');
  }
  run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', ...workspaceArgs], image);
  return {
    libraryBytes: treeBytes(path.join(org, 'node_modules')),
    imageBytes: treeBytes(path.join(image, 'node_modules')),
    rootExports,
  };
}

function main(): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpenv-bench-install-'));
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
    };
    const peersOnly = project(path.join(work, 'peers-only'));
    run(
      'npm',
      ['install', '--no-audit', '--no-fund', ...PEERS.map((n) => `${n}@${manifest.peerDependencies[n]}`)],
      peersOnly,
    );
    const peerBytes = treeBytes(path.join(peersOnly, 'node_modules'));

    const beforeTree = path.join(work, 'before-tree');
    run('git', ['worktree', 'add', '--detach', beforeTree, BEFORE], ROOT);
    try {
      run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], beforeTree);
      // The baseline pinned its peers as dependencies; install the same peer versions beside it.
      const before = measure(beforeTree, path.join(work, 'before'), manifest.peerDependencies);
      const after = measure(ROOT, path.join(work, 'after'), manifest.peerDependencies);
      const row = (label: string, m: Measurement) =>
        `${label.padEnd(28)} library+peers ${(m.libraryBytes / MB).toFixed(1).padStart(6)} MB ` +
        `(adds ${((m.libraryBytes - peerBytes) / MB).toFixed(1).padStart(6)} MB)   ` +
        `server image install ${(m.imageBytes / MB).toFixed(1).padStart(6)} MB   root exports ${m.rootExports}`;
      process.stdout.write(`peer libraries alone: ${(peerBytes / MB).toFixed(1)} MB (${PEERS.join(', ')})\n`);
      process.stdout.write(`${row(`before (${BEFORE})`, before)}\n${row('after (working tree)', after)}\n`);
      process.stdout.write(
        `library added-size ratio (after / before): ${((after.libraryBytes - peerBytes) / (before.libraryBytes - peerBytes)).toFixed(3)}  (target: adds <= 60 MB)\n` +
          `image install ratio (after / before): ${(after.imageBytes / before.imageBytes).toFixed(3)}  (target: <= 80 MB)\n`,
      );
    } finally {
      run('git', ['worktree', 'remove', '--force', beforeTree], ROOT);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
