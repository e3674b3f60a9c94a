import * as fs from 'node:fs';
import * as path from 'node:path';
import { diffOutputs, diffValues } from '../../app/diff';
import { formatMarkdown, formatText } from '../../app/diff/format';
import { loadEnvironment } from '../../app/environments';
import { synthEnvironment } from '../../app/synth';
import { runCli } from '../helpers/cli';
import { removeTempDirs, tempDir } from '../helpers/fixtures';

afterAll(removeTempDirs);

const base = path.join(tempDir(), 'base');
beforeAll(() => {
  synthEnvironment(loadEnvironment('prod'), { outDir: base });
});

/** A copy of the base output with `edit` applied to one file. */
function headWith(file: string, edit: (text: string) => string): string {
  const head = path.join(tempDir(), 'head');
  fs.cpSync(base, head, { recursive: true });
  const target = path.join(head, file);
  fs.writeFileSync(target, edit(fs.readFileSync(target, 'utf8')));
  return head;
}

const tfFile = 'terraform/stacks/aws-data/cdk.tf.json';
const k8sFile = 'kubernetes/mcpenv.k8s.yaml';

function editTerraform(
  edit: (json: { resource: Record<string, Record<string, Record<string, unknown>>> }) => void,
) {
  return headWith(tfFile, (text) => {
    const json = JSON.parse(text);
    edit(json);
    return JSON.stringify(json, null, 2);
  });
}

function dbOf(json: { resource: Record<string, Record<string, Record<string, unknown>>> }) {
  return Object.values(json.resource.aws_db_instance ?? {})[0] as Record<string, unknown>;
}

describe('diffOutputs', () => {
  test('reports no change between identical outputs, and markdown says so in one line', () => {
    const report = diffOutputs(base, base);
    expect(report.items).toEqual([]);
    expect(formatMarkdown(report)).toBe('**mcpenv diff:** No changes.\n');
  });

  test('ignores cdktf metadata and key order', () => {
    const head = headWith(tfFile, (text) => {
      const json = JSON.parse(text);
      json['//'].metadata.version = '9.9.9';
      return JSON.stringify(Object.fromEntries(Object.entries(json).reverse()));
    });
    expect(diffOutputs(base, head).items).toEqual([]);
  });

  test('shows attribute paths with before and after values', () => {
    const head = editTerraform((json) => {
      dbOf(json).backup_retention_period = 30;
    });
    const [item] = diffOutputs(base, head).items;
    expect(item).toMatchObject({ side: 'terraform', action: 'changed', risks: [] });
    expect(item?.changes).toEqual([{ path: 'backup_retention_period', before: 14, after: 30 }]);
  });

  test('flags a replacement when a force-new attribute of a stateful resource changes', () => {
    const head = editTerraform((json) => {
      dbOf(json).identifier = 'mcpenv-prod-2';
    });
    const report = diffOutputs(base, head);
    expect(report.summary.replace).toBe(1);
    expect(report.items[0]?.risks).toContainEqual({
      level: 'replace',
      message: 'changing identifier replaces the aws_db_instance',
    });
  });

  test('flags destroy risk when a stateful resource disappears', () => {
    const head = editTerraform((json) => {
      delete json.resource.aws_elasticache_replication_group;
    });
    const report = diffOutputs(base, head);
    expect(report.summary.destroy).toBe(1);
    expect(report.items.find((i) => i.action === 'removed')?.risks[0]?.level).toBe('destroy');
  });

  test('flags security-relevant changes: public database, open security group, loosened pod security, removed NetworkPolicy', () => {
    const head = editTerraform((json) => {
      dbOf(json).publicly_accessible = true;
      const rule = Object.values(json.resource.aws_vpc_security_group_ingress_rule ?? {})[0] as Record<
        string,
        unknown
      >;
      delete rule.referenced_security_group_id;
      rule.cidr_ipv4 = '0.0.0.0/0';
    });
    fs.writeFileSync(
      path.join(head, k8sFile),
      fs
        .readFileSync(path.join(head, k8sFile), 'utf8')
        .replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false')
        .replace(
          /---\napiVersion: networking.k8s.io\/v1\nkind: NetworkPolicy\nmetadata:\n(?: {2}.*\n)*? {2}name: default-deny\n(?:.*\n)*?(?=---)/,
          '',
        ),
    );
    const report = diffOutputs(base, head);
    const messages = report.items.flatMap((item) =>
      item.risks.filter((r) => r.level === 'security').map((r) => r.message),
    );
    expect(messages).toEqual(
      expect.arrayContaining([
        'the database becomes publicly accessible (publicly_accessible)',
        expect.stringMatching(/^a security group opens to the whole internet/),
        expect.stringMatching(/^the root filesystem becomes writable/),
        'a NetworkPolicy is removed',
      ]),
    );
  });

  test('flags monitoring changes: a loosened alert, and removed alert rules', () => {
    const spec = loadEnvironment('prod');
    const head = path.join(tempDir(), 'head');
    synthEnvironment({ ...spec, alerts: { errorRatioThreshold: 0.5 } }, { outDir: head });
    const report = diffOutputs(base, head);
    const flagged = report.items.filter((item) => item.risks.some((r) => r.level === 'monitoring'));
    // The Terraform kubernetes stack's copy of the object is compared once, as the manifest.
    expect(flagged.map((item) => item.address)).toEqual([
      'monitoring.coreos.com/v1 PrometheusRule mcp-prod/mcp-server',
    ]);
    expect(flagged[0]?.risks).toEqual([
      expect.objectContaining({
        level: 'monitoring',
        message: expect.stringContaining('check it still fires'),
      }),
    ]);
    expect(flagged[0]?.changes.map((c) => String(c.after))).toEqual(
      expect.arrayContaining([expect.stringMatching(/ > 0\.5$/)]),
    );
    expect(report.summary.monitoring).toBe(1);
    expect(formatMarkdown(report)).toContain('🔔 **monitoring**');
    expect(formatText(report)).toMatch(/warnings: 1 monitoring/);

    const removed = headWith(k8sFile, (text) =>
      text
        .split(/^---$/m)
        .filter((doc) => !/^kind: (PrometheusRule|ServiceMonitor)$/m.test(doc))
        .join('---'),
    );
    const messages = diffOutputs(base, removed).items.flatMap((item) => item.risks.map((r) => r.message));
    expect(messages).toEqual(
      expect.arrayContaining([
        'the alert rules are removed: nothing alerts on this environment',
        'the ServiceMonitor is removed: Prometheus stops scraping the server',
      ]),
    );
  });

  test('does not flag monitoring for changes that leave the rules alone', () => {
    const spec = loadEnvironment('prod');
    const head = path.join(tempDir(), 'head');
    synthEnvironment({ ...spec, replicas: (spec.replicas ?? 0) + 1 }, { outDir: head });
    const report = diffOutputs(base, head);
    expect(report.summary.changed).toBeGreaterThan(0);
    expect(report.summary.monitoring).toBe(0);
  });

  test('masks secret-looking values in every format', () => {
    const head = editTerraform((json) => {
      dbOf(json).password = 'hunter2hunter2';
    });
    const report = diffOutputs(base, head);
    expect(formatText(report)).toContain('password: (none) -> (masked)');
    expect(formatText(report)).not.toContain('hunter2');
    expect(formatMarkdown(report)).not.toContain('hunter2');
  });

  test('keeps markdown under the comment limit with a note when it has to cut', () => {
    const head = editTerraform((json) => {
      for (const [type, byName] of Object.entries(json.resource)) {
        for (const config of Object.values(byName))
          (config as Record<string, unknown>).description = `changed ${type}`;
      }
    });
    const markdown = formatMarkdown(diffOutputs(base, head), 2000);
    expect(markdown.length).toBeLessThanOrEqual(2000);
    expect(markdown).toMatch(/^\*\*mcpenv diff:\*\* \d+ changed/);
    expect(markdown).toContain("Cut to stay under GitHub's comment limit");
    expect(markdown).toContain('<details>');
  });
});

describe('diffValues', () => {
  test('compares objects by key and arrays by position', () => {
    expect(diffValues({ a: 1, b: [1, 2] }, { b: [1, 3], a: 1 })).toEqual([
      { path: 'b[1]', before: 2, after: 3 },
    ]);
  });
});

describe('mcpenv diff', () => {
  test('exits 2 with --fail-on monitoring when an alert changes, and with --fail-on security only for security', () => {
    const spec = loadEnvironment('prod');
    const head = path.join(tempDir(), 'head');
    synthEnvironment({ ...spec, alerts: { latencyP95ThresholdSeconds: 5 } }, { outDir: head });
    const failing = runCli(['diff', '--base', base, '--head', head, '--fail-on', 'monitoring']);
    expect(failing.status).toBe(2);
    expect(failing.stdout).toContain('! monitoring: an alert or recording rule changes');
    expect(failing.stderr).toContain('changes at or above --fail-on monitoring');
    expect(runCli(['diff', '--base', base, '--head', head, '--fail-on', 'security']).status).toBe(0);
  });

  test('exits 2 with --fail-on replace when a replacement is planned, 0 without it', () => {
    const head = editTerraform((json) => {
      dbOf(json).identifier = 'mcpenv-prod-2';
    });
    const failing = runCli(['diff', '--base', base, '--head', head, '--fail-on', 'replace']);
    expect(failing.status).toBe(2);
    expect(failing.stdout).toContain('! replace: changing identifier replaces the aws_db_instance');
    expect(runCli(['diff', '--base', base, '--head', head, '--format', 'json']).status).toBe(0);
  });

  test('rejects an unknown format with exit 2', () => {
    const result = runCli(['diff', '--base', base, '--format', 'html']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--format must be one of md, json, text (got "html")');
  });
});
