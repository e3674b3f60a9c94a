/**
 * Synth benchmark: `mcpenv synth --env prod` against the upstream route to the same files
 * (`cdktf synth` plus `cdk8s synth`), measured in one run, alternating, so machine noise hits
 * both alike. Prints median wall times, peak RSS and the ratio.
 *
 *   npx tsx bench/synth.ts [--runs N]   (default 5)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 5;
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) {
  console.error('--runs must be a whole number from 1 to 50');
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

/** Runs one command under /usr/bin/time to read its peak RSS (largest of the process tree's members). */
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
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpenv-bench-'));
const mcpenv: Sample[] = [];
const upstream: Sample[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    mcpenv.push(
      measure(bin('tsx'), ['bin/mcpenv.ts', 'synth', '--env', 'prod', '--out', path.join(work, 'mcpenv')]),
    );
    const tf = measure(bin('cdktf'), ['synth', '--output', path.join(work, 'cdktf')]);
    const k8s = measure(bin('cdk8s'), ['synth', '--output', path.join(work, 'cdk8s')]);
    upstream.push({ seconds: tf.seconds + k8s.seconds, peakRssMb: Math.max(tf.peakRssMb, k8s.peakRssMb) });
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

const row = (name: string, samples: Sample[]) =>
  `${name.padEnd(28)} median ${median(samples.map((s) => s.seconds)).toFixed(3)} s   ` +
  `peak RSS ${Math.max(...samples.map((s) => s.peakRssMb)).toFixed(0)} MB`;
process.stdout.write(`synth of prod, ${RUNS} runs each, alternating\n`);
process.stdout.write(`${row('mcpenv synth', mcpenv)}\n`);
process.stdout.write(`${row('cdktf synth + cdk8s synth', upstream)}\n`);
const ratio = median(upstream.map((s) => s.seconds)) / median(mcpenv.map((s) => s.seconds));
process.stdout.write(`ratio (upstream / mcpenv): ${ratio.toFixed(2)}x\n`);
