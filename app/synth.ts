import * as fs from 'node:fs';
import * as path from 'node:path';
import type { App as Cdk8sApp } from 'cdk8s';
import { toPrometheusRulesYaml } from '../constructs/monitoring/alerts';
import {
  RULE_TESTS_FILE_NAME,
  RULES_FILE_NAME,
  SLO_RULE_TESTS_FILE_NAME,
  toRuleTestsYaml,
} from '../constructs/monitoring/rule-tests';
import type { McpEnvironmentSpec } from '../constructs/spec';
import { EnvironmentChart } from '../stacks/environment-chart';
import { buildKubernetesApp, buildTerraformApp, chartObjects } from './build';
import { assertReplaceable, carryOverWorkingFiles, OUTPUT_MARKER, swapInto } from './output';

/** The parts of a synth output, each a folder of it. */
export const OUTPUT_PARTS = ['kubernetes', 'terraform', 'monitoring'] as const;
export type OutputPart = (typeof OUTPUT_PARTS)[number];

export interface SynthOptions {
  /** Output folder; replaced as a whole when the synth succeeds, untouched when it fails. */
  readonly outDir: string;
  /** Regenerate only this part; the others are kept from the previous output. Default: all. */
  readonly only?: OutputPart;
  /** Called after each step with its name and duration, for progress output. */
  readonly onStep?: (step: string, milliseconds: number) => void;
}

export interface SynthResult {
  readonly outDir: string;
  /** Files written, relative to `outDir`, sorted. */
  readonly files: readonly string[];
  /** Kubernetes objects in the manifests. */
  readonly kubernetesObjects: number;
  /** Terraform stacks synthesized. */
  readonly terraformStacks: readonly string[];
  /** Terraform resources across all stacks. */
  readonly terraformResources: number;
  /** Stacks no longer synthesized whose local Terraform state was kept. */
  readonly orphanedStacks: readonly string[];
}

function listFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(root, full));
    else out.push(path.relative(root, full).split(path.sep).join('/'));
  }
  return out.sort();
}

/**
 * The monitoring outputs as plain files for tools outside Kubernetes: the PrometheusRule's rule
 * groups as `rules.yaml` (what promtool and a plain Prometheus read), their `promtool test rules`
 * cases as `rules.test.yaml` (and, with SLOs, the slow burn-rate alerts' cases as
 * `rules.slo.test.yaml`), and each dashboard as JSON.
 */
function writeMonitoring(app: Cdk8sApp, dir: string): void {
  for (const chart of app.charts) {
    if (!(chart instanceof EnvironmentChart)) continue;
    const { monitoring } = (chart as EnvironmentChart).environment;
    fs.mkdirSync(path.join(dir, 'dashboards'), { recursive: true });
    fs.writeFileSync(path.join(dir, RULES_FILE_NAME), toPrometheusRulesYaml(monitoring.ruleGroups));
    fs.writeFileSync(path.join(dir, RULE_TESTS_FILE_NAME), toRuleTestsYaml(monitoring.ruleTests));
    if (monitoring.sloRuleTests !== undefined) {
      fs.writeFileSync(path.join(dir, SLO_RULE_TESTS_FILE_NAME), toRuleTestsYaml(monitoring.sloRuleTests));
    }
    const json = monitoring.dashboardJson;
    fs.writeFileSync(
      path.join(dir, 'dashboards', monitoring.dashboard.fileName),
      json.endsWith('\n') ? json : `${json}\n`,
    );
  }
}

function countResources(stackJson: string): number {
  const { resource = {} } = JSON.parse(stackJson) as { resource?: Record<string, Record<string, unknown>> };
  return Object.values(resource).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
}

/**
 * Synthesizes every output of an environment into `outDir`: Kubernetes manifests under
 * `kubernetes/`, Terraform JSON under `terraform/stacks/<stack>/cdk.tf.json`, and the alert
 * rules and dashboards as plain files under `monitoring/`. The output is
 * staged next to `outDir` and swapped in only when complete; Terraform working files (provider
 * cache, lock file, local state) of the previous output are carried over.
 */
export function synthEnvironment(spec: McpEnvironmentSpec, options: SynthOptions): SynthResult {
  const outDir = path.resolve(options.outDir);
  assertReplaceable(outDir);
  const parent = path.dirname(outDir);
  fs.mkdirSync(parent, { recursive: true });
  const staged = fs.mkdtempSync(path.join(parent, `.${path.basename(outDir)}.synth-`));
  const wanted = (part: OutputPart) => options.only === undefined || options.only === part;
  const step = <T>(name: string, run: () => T): T => {
    const started = performance.now();
    const result = run();
    options.onStep?.(name, performance.now() - started);
    return result;
  };
  try {
    // The chart is built in every case: Terraform deploys its objects, monitoring reads its rules.
    const k8sApp = step('build chart', () => buildKubernetesApp(spec, path.join(staged, 'kubernetes')));
    const objects = chartObjects(k8sApp);
    const kubernetesObjects = objects.length;
    if (wanted('kubernetes')) step('write kubernetes', () => k8sApp.synth());
    if (wanted('monitoring'))
      step('write monitoring', () => writeMonitoring(k8sApp, path.join(staged, 'monitoring')));
    if (wanted('terraform')) {
      step('write terraform', () => buildTerraformApp(spec, path.join(staged, 'terraform'), objects).synth());
    }
    // Parts not regenerated stay as they were.
    for (const part of OUTPUT_PARTS) {
      const previous = path.join(outDir, part);
      if (!wanted(part) && fs.existsSync(previous))
        fs.cpSync(previous, path.join(staged, part), { recursive: true });
    }
    const stacksDir = path.join(staged, 'terraform', 'stacks');
    const terraformStacks = fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).sort() : [];
    const terraformResources = terraformStacks.reduce(
      (sum, stack) =>
        sum + countResources(fs.readFileSync(path.join(stacksDir, stack, 'cdk.tf.json'), 'utf8')),
      0,
    );

    fs.writeFileSync(
      path.join(staged, OUTPUT_MARKER),
      `${JSON.stringify({ environment: spec.name, generator: 'mcpenv' }, null, 2)}\n`,
    );
    const files = listFiles(staged);
    // With terraform/ copied whole, its working files came along already.
    const orphanedStacks = wanted('terraform') ? carryOverWorkingFiles(outDir, staged) : [];
    swapInto(staged, outDir);
    return { outDir, files, kubernetesObjects, terraformStacks, terraformResources, orphanedStacks };
  } catch (error) {
    fs.rmSync(staged, { recursive: true, force: true });
    throw error;
  }
}
