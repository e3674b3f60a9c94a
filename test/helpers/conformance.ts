import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { minimalEnv, nodeBin, runInGroup } from './production-build';

/**
 * The official MCP conformance suite, run as a real program against a server URL. The version is
 * pinned: a newer suite adds checks, and adopting it is a deliberate change of this line (and of
 * the expected-failures files next to the test).
 */
export const CONFORMANCE_PACKAGE = '@modelcontextprotocol/conformance';
export const CONFORMANCE_VERSION = '0.2.0-alpha.12';
/** The suite needs Node >= 22; the project runs on Node 24. */
export const CONFORMANCE_NODE_VERSION = '24.22.3';

export interface ConformanceSuite {
  /** The Node 24 binary that runs the suite. */
  readonly node: string;
  /** The installed package's folder (it holds `requirements/<revision>.yaml`). */
  readonly packageDir: string;
  /** The suite's CLI entry point (`dist/index.js`). */
  readonly cli: string;
}

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'mcpenv', 'conformance', CONFORMANCE_VERSION);
}

function cliOf(prefix: string): string {
  return path.join(prefix, 'node_modules', ...CONFORMANCE_PACKAGE.split('/'), 'dist', 'index.js');
}

/**
 * Installs the pinned suite into the user's cache (`~/.cache/mcpenv/conformance/<version>`) with
 * npm running on Node 24, once; later calls reuse it. The install goes to a temporary folder that
 * is renamed into place, so an interrupted install never leaves a half-filled cache. The
 * environment is minimal but keeps `npm_config_globalconfig` (the machine's registry and CA).
 */
export async function installConformanceSuite(timeoutMs = 600_000): Promise<ConformanceSuite> {
  const bin = nodeBin(CONFORMANCE_NODE_VERSION);
  const node = path.join(bin, 'node');
  const prefix = cacheDir();
  if (!fs.existsSync(cliOf(prefix))) {
    fs.mkdirSync(path.dirname(prefix), { recursive: true });
    const staging = fs.mkdtempSync(`${prefix}.installing-`);
    try {
      fs.writeFileSync(path.join(staging, 'package.json'), '{ "private": true }\n');
      const env = minimalEnv({ PATH: `${bin}${path.delimiter}${minimalEnv().PATH ?? ''}` });
      const exit = await runInGroup(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--ignore-scripts',
          '--prefer-offline',
          `${CONFORMANCE_PACKAGE}@${CONFORMANCE_VERSION}`,
        ],
        { cwd: staging, env, timeoutMs },
      );
      if (exit.code !== 0) {
        throw new Error(
          `npm install ${CONFORMANCE_PACKAGE}@${CONFORMANCE_VERSION} ` +
            `${exit.timedOut ? `did not finish within ${timeoutMs} ms` : `exited ${exit.code ?? exit.signal}`}\n` +
            `${exit.stdout}\n${exit.stderr}`,
        );
      }
      if (!fs.existsSync(cliOf(staging))) throw new Error(`npm installed no ${cliOf(staging)}`);
      fs.rmSync(prefix, { recursive: true, force: true });
      fs.renameSync(staging, prefix);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  const packageDir = path.dirname(path.dirname(cliOf(prefix)));
  const installed = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  if (installed.version !== CONFORMANCE_VERSION) {
    throw new Error(
      `${prefix} holds ${CONFORMANCE_PACKAGE}@${installed.version}, not ${CONFORMANCE_VERSION}`,
    );
  }
  return { node, packageDir, cli: cliOf(prefix) };
}

/** One check of a scenario, as the suite wrote it to checks.json. */
export interface ConformanceCheck {
  readonly id: string;
  readonly name: string;
  readonly status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO';
  readonly errorMessage?: string;
  readonly details?: unknown;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly checks: readonly ConformanceCheck[];
  /**
   * Checks that fail: FAILURE, and WARNING (a SHOULD not met), which the CLI's expected-failures
   * evaluator counts as failures too.
   */
  readonly failures: readonly ConformanceCheck[];
}

export interface ConformanceRun {
  /** The CLI's exit code: 0 when every scored scenario passed or failed as the baseline expects. */
  readonly exitCode: number | null;
  readonly scenarios: readonly ScenarioResult[];
  /** The CLI's own output, for the failure message. */
  readonly output: string;
  readonly resultsDir: string;
}

export interface ConformanceRunOptions {
  /** The MCP endpoint, e.g. `http://localhost:3000/mcp`. */
  readonly url: string;
  /** What to run: `['--requirements', '2026-07-28']`, `['--spec-version', '2025-11-25']`, `['--scenario', 'ping']`. */
  readonly selection: readonly string[];
  /** A YAML baseline of known failures (`server: [scenario, scenario:check-id]`). */
  readonly expectedFailures?: string;
  /** Where results go; a fresh temporary folder by default. */
  readonly resultsDir?: string;
  /** Bound on the whole run; the suite's process group is killed after it. */
  readonly timeoutMs?: number;
}

/** `server-<scenario>-<ISO timestamp with dashes>` → `<scenario>`. */
function scenarioOf(folder: string): string {
  return folder.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/, '');
}

/** Reads every `checks.json` under `resultsDir` into per-scenario results, sorted by scenario. */
export function readConformanceResults(resultsDir: string): ScenarioResult[] {
  if (!fs.existsSync(resultsDir)) return [];
  return fs
    .readdirSync(resultsDir)
    .filter((folder) => fs.existsSync(path.join(resultsDir, folder, 'checks.json')))
    .map((folder) => {
      const checks = JSON.parse(
        fs.readFileSync(path.join(resultsDir, folder, 'checks.json'), 'utf8'),
      ) as ConformanceCheck[];
      return {
        scenario: scenarioOf(folder),
        checks,
        failures: checks.filter((check) => check.status === 'FAILURE' || check.status === 'WARNING'),
      };
    })
    .sort((a, b) => a.scenario.localeCompare(b.scenario));
}

/**
 * Runs `conformance server` with Node 24 against `url` and parses what it wrote. Never rejects
 * because checks failed (the CLI then exits 1): the caller asserts on the parsed results, which
 * name every failing check. Rejects when the run overruns its bound or wrote no results.
 */
export async function runConformance(
  suite: ConformanceSuite,
  options: ConformanceRunOptions,
): Promise<ConformanceRun> {
  const resultsDir = options.resultsDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mcpenv-conformance-'));
  const timeoutMs = options.timeoutMs ?? 900_000;
  const args = [
    suite.cli,
    'server',
    '--url',
    options.url,
    ...options.selection,
    '--output-dir',
    resultsDir,
    ...(options.expectedFailures ? ['--expected-failures', options.expectedFailures] : []),
  ];
  const exit = await runInGroup(suite.node, args, {
    cwd: resultsDir,
    env: minimalEnv({ NO_COLOR: '1' }),
    timeoutMs,
  });
  const output = `${exit.stdout}\n${exit.stderr}`;
  if (exit.timedOut) {
    throw new Error(
      `conformance ${options.selection.join(' ')} did not finish within ${timeoutMs} ms\n${output}`,
    );
  }
  const scenarios = readConformanceResults(resultsDir);
  if (scenarios.length === 0) {
    throw new Error(
      `conformance ${options.selection.join(' ')} wrote no results (exit ${exit.code})\n${output}`,
    );
  }
  return { exitCode: exit.code, scenarios, output, resultsDir };
}

/**
 * The server scenarios a spec revision requires (its frozen requirement set; what it runs but
 * does not score, such as extensions, is left out).
 */
export function requiredServerScenarios(suite: ConformanceSuite, revision: string): string[] {
  const file = path.join(suite.packageDir, 'requirements', `${revision}.yaml`);
  const requirements = parse(fs.readFileSync(file, 'utf8')) as { server?: string[] };
  if (!requirements.server?.length) throw new Error(`${file} lists no server scenarios`);
  return requirements.server;
}

/** The run narrowed to `scenarios`; a named scenario that did not run fails as `not-run`. */
export function onlyScenarios(run: ConformanceRun, scenarios: readonly string[]): ConformanceRun {
  const missing = scenarios.filter((name) => !run.scenarios.some((result) => result.scenario === name));
  const notRun = missing.map((scenario): ScenarioResult => {
    const check: ConformanceCheck = {
      id: 'not-run',
      name: 'NotRun',
      status: 'FAILURE',
      errorMessage: 'the suite wrote no results for this scenario',
    };
    return { scenario, checks: [check], failures: [check] };
  });
  return {
    ...run,
    scenarios: [...run.scenarios.filter((result) => scenarios.includes(result.scenario)), ...notRun],
  };
}

/** Entries of an expected-failures file's `server:` list: `scenario` or `scenario:check-id`. */
export function readExpectedFailures(file: string): string[] {
  const entries: string[] = [];
  let inServer = false;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (/^\S/.test(line)) inServer = /^server:\s*(\[\])?\s*(#.*)?$/.test(line);
    const entry = /^\s+-\s+([^\s#]+)/.exec(line);
    if (inServer && entry?.[1]) entries.push(entry[1]);
  }
  return entries;
}

/**
 * The failing checks no baseline entry excuses, one line each: `scenario › check-id: message`.
 * An empty list means the run conforms (up to the baseline).
 */
export function unexpectedFailures(run: ConformanceRun, expected: readonly string[] = []): string[] {
  return run.scenarios.flatMap((result) =>
    expected.includes(result.scenario)
      ? []
      : result.failures
          .filter((check) => !expected.includes(`${result.scenario}:${check.id}`))
          .map(
            (check) =>
              `${result.scenario} › ${check.id} (${check.status}): ${check.errorMessage ?? check.name}`,
          ),
  );
}

/** Baseline entries that did not fail: the baseline must shrink when a fix lands. */
export function staleExpectations(run: ConformanceRun, expected: readonly string[]): string[] {
  return expected.filter((entry) => {
    const [scenario, check] = entry.split(':') as [string, string | undefined];
    const result = run.scenarios.find((candidate) => candidate.scenario === scenario);
    if (!result) return false;
    // A baselined check the scenario never reached is tolerated, as the CLI does.
    return check === undefined
      ? result.failures.length === 0
      : result.checks.some((c) => c.id === check) && !result.failures.some((failure) => failure.id === check);
  });
}

/** One line per scenario, `✓ name (n checks)` or `✗ name: check-a, check-b`, for test output. */
export function summarize(run: ConformanceRun): string {
  return run.scenarios
    .map((result) =>
      result.failures.length === 0
        ? `✓ ${result.scenario} (${result.checks.length} checks)`
        : `✗ ${result.scenario}: ${result.failures.map((check) => check.id).join(', ')}`,
    )
    .join('\n');
}
