/**
 * Synth benchmark: `mcpenv synth --env prod` (every output) against the upstream route to the
 * same files (`cdktf synth` plus `cdk8s synth`), measured in one run, alternating, so machine
 * noise hits both alike. Prints median wall times, peak RSS and the ratio, then the median time
 * of `mcpenv diff` between two prod outputs.
 *
 *   npm run bench -- [--runs N]   (default 5)
 *
 * mcpenv runs as a production build would: bundled with esbuild and started with plain node.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleForNode } from './bundle';

const ROOT = path.resolve(__dirname, '..');
const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 5;
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) {
  process.stderr.write('--runs must be a whole number from 1 to 50\n');
  process.exit(2);
}
const ENV = {
  ...process.env,
  MCPENV_ENV: 'prod',
  NO_COLOR: '1',
  CI: 'true',
  CHECKPOINT_DISABLE: '1',
  DISABLE_VERSION_CHECK: 'true',
  CDK8S_CHECK_UPGRADE: 'false',
};

interface Sample {
  readonly seconds: number;
  readonly peakRssMb: number;
}

/** Runs one command under /usr/bin/time for its peak RSS (the largest member of its process tree). */
function measure(command: string, args: readonly string[]): Sample {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], {
    cwd: ROOT,
    env: ENV,
    encoding: 'utf8',
    timeout: 300_000,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  return { seconds, peakRssMb: Number(lines[lines.length - 1]) / 1024 };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

// Inside the repository, so the bundle resolves dependencies and the package root from it.
// The CLI loads the server package (and through it the contract) as installed packages do: built.
const built = spawnSync('npm', ['run', 'build', '--workspaces'], { cwd: ROOT, encoding: 'utf8' });
if (built.status !== 0)
  throw new Error(`building the workspace packages failed:\n${built.stdout}${built.stderr}`);
const cacheDir = path.join(ROOT, 'node_modules', '.cache');
fs.mkdirSync(cacheDir, { recursive: true });
const buildDir = fs.mkdtempSync(path.join(cacheDir, 'mcpenv-bench-synth-'));
const cli = path.join(buildDir, 'mcpenv.js');
bundleForNode(path.join(ROOT, 'bin', 'mcpenv.ts'), cli);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpenv-bench-'));
const mcpenv: Sample[] = [];
const upstream: Sample[] = [];
const diffs: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    mcpenv.push(
      measure(process.execPath, [
        cli,
        'synth',
        '--env',
        'prod',
        '--out',
        path.join(work, 'mcpenv'),
        '--json',
      ]),
    );
    const tf = measure(bin('cdktf'), ['synth', '--output', path.join(work, 'cdktf')]);
    const k8s = measure(bin('cdk8s'), ['synth', '--output', path.join(work, 'cdk8s')]);
    upstream.push({ seconds: tf.seconds + k8s.seconds, peakRssMb: Math.max(tf.peakRssMb, k8s.peakRssMb) });
  }
  fs.cpSync(path.join(work, 'mcpenv'), path.join(work, 'base'), { recursive: true });
  for (let i = 0; i < RUNS; i++) {
    diffs.push(
      measure(process.execPath, [
        cli,
        'diff',
        '--base',
        path.join(work, 'base'),
        '--head',
        path.join(work, 'mcpenv'),
        '--format',
        'md',
      ]).seconds,
    );
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(buildDir, { recursive: true, force: true });
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const row = (name: string, samples: Sample[]) =>
  `${name.padEnd(28)} median ${median(samples.map((s) => s.seconds)).toFixed(3)} s   ` +
  `peak RSS ${Math.max(...samples.map((s) => s.peakRssMb)).toFixed(0)} MB`;
out(`synth of prod (every output), ${RUNS} runs each, alternating`);
out(row('mcpenv synth', mcpenv));
out(row('cdktf synth + cdk8s synth', upstream));
const mcpenvMedian = median(mcpenv.map((s) => s.seconds));
const ratio = median(upstream.map((s) => s.seconds)) / mcpenvMedian;
out(`ratio (upstream / mcpenv): ${ratio.toFixed(2)}x  (target >= 3.00x)`);
out(
  `mcpenv median ${mcpenvMedian.toFixed(3)} s (target < 1.5 s), peak RSS ${Math.max(...mcpenv.map((s) => s.peakRssMb)).toFixed(0)} MB (target < 300 MB)`,
);
out(`mcpenv diff of two prod outputs: median ${median(diffs).toFixed(3)} s`);
