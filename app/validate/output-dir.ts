import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateManifestFiles } from './index';
import type { Finding } from './schemas';
import { checkTerraformSecrets, scanForCredentials } from './secrets';

/** One check of `mcpenv validate`: what ran (or why it did not) and what it found. */
export interface CheckReport {
  readonly check: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  /** Why the check was skipped, or a summary of what it covered. */
  readonly detail: string;
  readonly findings: readonly Finding[];
}

function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, program);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function listFiles(root: string, dir = root): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === '.terraform' ? [] : listFiles(root, full);
    return entry.name.endsWith('.tfstate') || entry.name.endsWith('.tfstate.backup') ? [] : [full];
  });
}

function report(check: string, findings: readonly Finding[], detail: string): CheckReport {
  return { check, status: findings.length > 0 ? 'failed' : 'passed', detail, findings };
}

function kubernetesCheck(dir: string): CheckReport {
  const folder = path.join(dir, 'kubernetes');
  if (!fs.existsSync(folder))
    return { check: 'kubernetes', status: 'skipped', detail: 'no kubernetes/ folder', findings: [] };
  const result = validateManifestFiles(folder);
  return report(
    'kubernetes',
    result.findings,
    `${result.objects} objects in ${result.files.length} file(s): Kubernetes and CRD schemas, restricted pod security, no literal secrets, TLS on every route`,
  );
}

function secretsCheck(dir: string): CheckReport {
  const findings: Finding[] = [];
  const files = listFiles(dir);
  for (const file of files) {
    const relative = path.relative(dir, file);
    const text = fs.readFileSync(file, 'utf8');
    findings.push(...scanForCredentials(text, relative));
    if (file.endsWith('.tf.json')) findings.push(...checkTerraformSecrets(JSON.parse(text), relative));
  }
  return report('secrets', findings, `${files.length} files scanned for literal secrets`);
}

function promtoolCheck(dir: string): CheckReport {
  const rules = path.join(dir, 'monitoring', 'rules.yaml');
  if (!fs.existsSync(rules))
    return { check: 'promtool', status: 'skipped', detail: 'no monitoring/rules.yaml', findings: [] };
  const promtool = onPath('promtool');
  if (!promtool) {
    return {
      check: 'promtool',
      status: 'skipped',
      detail: 'promtool is not on the PATH (install the prometheus package to check the rules)',
      findings: [],
    };
  }
  const check = spawnSync(promtool, ['check', 'rules', rules], { encoding: 'utf8', timeout: 60_000 });
  const checkOutput = `${check.stdout}${check.stderr}`.trim();
  if (check.status !== 0) {
    return report(
      'promtool',
      [{ objectRef: 'monitoring/rules.yaml', path: '', rule: 'promtool', message: checkOutput }],
      'promtool check rules',
    );
  }
  const summary = (checkOutput.split('\n').pop() ?? 'rules valid').trim();
  const tests = path.join(dir, 'monitoring', 'rules.test.yaml');
  if (!fs.existsSync(tests))
    return report('promtool', [], `${summary}; no monitoring/rules.test.yaml to run`);
  // With SLOs, the slow burn-rate alerts' cases sit in a file of their own (another evaluation
  // interval); each file runs on its own, so a failure names the file that holds the case.
  const sloTests = path.join(dir, 'monitoring', 'rules.slo.test.yaml');
  const files = fs.existsSync(sloTests) ? [tests, sloTests] : [tests];
  const findings = files.flatMap((file) => {
    // promtool resolves the tests' rule_files against the test file's folder: the rules beside it.
    const unit = spawnSync(promtool, ['test', 'rules', file], { encoding: 'utf8', timeout: 120_000 });
    if (unit.status === 0) return [];
    return [
      {
        objectRef: `monitoring/${path.basename(file)}`,
        path: '',
        rule: 'promtool-test',
        message: `${unit.stdout}${unit.stderr}`.trim(),
      },
    ];
  });
  if (findings.length === 0) return report('promtool', [], `${summary}; rule tests passed`);
  return report('promtool', findings, 'promtool test rules');
}

/**
 * `terraform validate` of each stack, in a scratch copy (init must not touch the output folder).
 * Providers that cannot be installed (offline, no mirror) make the check skip with the reason:
 * that says nothing about the configuration.
 */
function terraformChecks(dir: string): CheckReport[] {
  const stacksDir = path.join(dir, 'terraform', 'stacks');
  if (!fs.existsSync(stacksDir)) return [];
  const terraform = onPath('terraform');
  const stacks = fs
    .readdirSync(stacksDir)
    .filter((stack) => fs.existsSync(path.join(stacksDir, stack, 'cdk.tf.json')));
  if (!terraform) {
    return stacks.map((stack) => ({
      check: `terraform:${stack}`,
      status: 'skipped' as const,
      detail: 'terraform is not on the PATH (install Terraform 1.11+ to validate the stacks)',
      findings: [],
    }));
  }
  return stacks.sort().map((stack) => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpenv-validate-'));
    try {
      fs.copyFileSync(path.join(stacksDir, stack, 'cdk.tf.json'), path.join(scratch, 'cdk.tf.json'));
      const env = { ...process.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
      const init = spawnSync(terraform, ['init', '-backend=false', '-input=false', '-no-color'], {
        cwd: scratch,
        env,
        encoding: 'utf8',
        timeout: 300_000,
      });
      if (init.status !== 0) {
        const reason =
          `${init.stdout}${init.stderr}`.match(/Error: ([^\n]+)/)?.[1] ?? 'terraform init failed';
        return {
          check: `terraform:${stack}`,
          status: 'skipped' as const,
          detail: `providers could not be installed (${reason}); configure a provider mirror to validate offline`,
          findings: [],
        };
      }
      const validate = spawnSync(terraform, ['validate', '-json', '-no-color'], {
        cwd: scratch,
        env,
        encoding: 'utf8',
        timeout: 300_000,
      });
      const parsed = JSON.parse(validate.stdout || '{}') as {
        valid?: boolean;
        diagnostics?: { severity: string; summary: string; detail?: string }[];
      };
      const findings = (parsed.diagnostics ?? [])
        .filter((diagnostic) => diagnostic.severity === 'error')
        .map((diagnostic) => ({
          objectRef: `terraform/stacks/${stack}/cdk.tf.json`,
          path: '',
          rule: 'terraform-validate',
          message: `${diagnostic.summary}${diagnostic.detail ? `: ${diagnostic.detail}` : ''}`,
        }));
      return report(`terraform:${stack}`, findings, 'terraform validate');
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
}

/** Every check of a synthesized output folder, in a stable order. */
export function validateOutput(dir: string): CheckReport[] {
  return [kubernetesCheck(dir), secretsCheck(dir), promtoolCheck(dir), ...terraformChecks(dir)];
}
