import * as fs from 'node:fs';
import * as path from 'node:path';
import { OUTPUT_MARKER } from '../../app/output';
import { synthEnvironment } from '../../app/synth';
import { awsSpec, inClusterSpec, readTree, removeTempDirs, tempDir } from '../helpers/fixtures';

afterAll(removeTempDirs);

describe('synthEnvironment', () => {
  test('writes Kubernetes manifests and one cdk.tf.json per Terraform stack', () => {
    const outDir = path.join(tempDir(), 'prod');
    const result = synthEnvironment(awsSpec(), { outDir });
    expect(result.files).toEqual([
      'kubernetes/mcpenv.k8s.yaml',
      OUTPUT_MARKER,
      'monitoring/dashboards/mcpenv-prod-server.json',
      'monitoring/rules.test.yaml',
      'monitoring/rules.yaml',
      'terraform/manifest.json',
      'terraform/stacks/aws-data/cdk.tf.json',
      'terraform/stacks/kubernetes/cdk.tf.json',
    ]);
    const manifest = fs.readFileSync(path.join(outDir, 'kubernetes', 'mcpenv.k8s.yaml'), 'utf8');
    expect(result.kubernetesObjects).toBe(manifest.split(/^---$/m).length);
    expect(result.kubernetesObjects).toBeGreaterThan(10);
    expect(result.terraformStacks).toEqual(['aws-data', 'kubernetes']);
    expect(result.terraformResources).toBeGreaterThan(20);
  });

  test('writes the alert rules as plain YAML and the dashboard as JSON, the same as in the manifests', () => {
    const outDir = path.join(tempDir(), 'prod');
    synthEnvironment(awsSpec(), { outDir });
    const rules = fs.readFileSync(path.join(outDir, 'monitoring', 'rules.yaml'), 'utf8');
    expect(rules).toMatch(/^groups:\n/);
    expect(rules).toContain('alert: McpHighErrorRatio');
    const manifest = fs.readFileSync(path.join(outDir, 'kubernetes', 'mcpenv.k8s.yaml'), 'utf8');
    expect(manifest).toContain('alert: McpHighErrorRatio');
    const dashboard = JSON.parse(
      fs.readFileSync(path.join(outDir, 'monitoring', 'dashboards', 'mcpenv-prod-server.json'), 'utf8'),
    );
    expect(dashboard.uid).toBe('mcpenv-prod-server');
    expect(dashboard.panels.length).toBeGreaterThan(5);
  });

  test('an in-cluster environment has only the Kubernetes stack', () => {
    const result = synthEnvironment(inClusterSpec(), { outDir: path.join(tempDir(), 'dev') });
    expect(result.terraformStacks).toEqual(['kubernetes']);
  });

  test('gives byte-identical output for the same input, wherever it is written', () => {
    const first = path.join(tempDir(), 'a', 'prod');
    const second = path.join(tempDir(), 'b', 'elsewhere');
    synthEnvironment(awsSpec(), { outDir: first });
    synthEnvironment(awsSpec(), { outDir: second });
    expect(readTree(second)).toEqual(readTree(first));
    // and again into the same folder
    synthEnvironment(awsSpec(), { outDir: first });
    expect(readTree(first)).toEqual(readTree(second));
  });

  test('output holds no absolute path or timestamp', () => {
    const outDir = path.join(tempDir(), 'prod');
    synthEnvironment(awsSpec(), { outDir });
    for (const [file, bytes] of readTree(outDir)) {
      const text = bytes.toString('utf8');
      expect({ file, hasTempPath: text.includes(outDir) || text.includes(process.cwd()) }).toEqual({
        file,
        hasTempPath: false,
      });
      expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    }
  });

  test('fails without touching the previous output, and leaves no staging folder behind', () => {
    const parent = tempDir();
    const outDir = path.join(parent, 'prod');
    synthEnvironment(awsSpec(), { outDir });
    const before = readTree(outDir);
    expect(() => synthEnvironment(awsSpec({ replicas: 2.5 } as never), { outDir })).toThrow();
    // A spec that passes parsing but fails inside a construct:
    const broken = { ...awsSpec(), image: 'ghcr.io/example/unpinned' };
    expect(() => synthEnvironment(broken, { outDir })).toThrow(/`image` must be pinned/);
    expect(readTree(outDir)).toEqual(before);
    expect(fs.readdirSync(parent)).toEqual(['prod']);
  });

  test('keeps Terraform working files and local state across synths', () => {
    const outDir = path.join(tempDir(), 'prod');
    synthEnvironment(awsSpec(), { outDir });
    const stackDir = path.join(outDir, 'terraform', 'stacks', 'aws-data');
    fs.writeFileSync(path.join(stackDir, 'terraform.aws-data.tfstate'), '{"serial": 7}');
    fs.writeFileSync(path.join(stackDir, '.terraform.lock.hcl'), '# lock');
    fs.mkdirSync(path.join(stackDir, '.terraform', 'providers'), { recursive: true });
    synthEnvironment(awsSpec({ replicas: 5 }), { outDir });
    expect(fs.readFileSync(path.join(stackDir, 'terraform.aws-data.tfstate'), 'utf8')).toBe('{"serial": 7}');
    expect(fs.existsSync(path.join(stackDir, '.terraform.lock.hcl'))).toBe(true);
    expect(fs.existsSync(path.join(stackDir, '.terraform', 'providers'))).toBe(true);
  });

  test('keeps the local state of a stack that is no longer synthesized, and reports it', () => {
    const outDir = path.join(tempDir(), 'env');
    synthEnvironment(awsSpec(), { outDir });
    const state = path.join(outDir, 'terraform', 'stacks', 'aws-data', 'terraform.aws-data.tfstate');
    fs.writeFileSync(state, '{"serial": 3}');
    const result = synthEnvironment(inClusterSpec({ name: 'prod' }), { outDir });
    expect(result.orphanedStacks).toEqual(['aws-data']);
    expect(fs.readFileSync(state, 'utf8')).toBe('{"serial": 3}');
  });

  test('refuses to replace a folder that mcpenv did not write', () => {
    const outDir = tempDir();
    fs.writeFileSync(path.join(outDir, 'precious.txt'), 'keep me');
    expect(() => synthEnvironment(awsSpec(), { outDir })).toThrow(
      /already holds files that mcpenv did not write/,
    );
    expect(fs.readdirSync(outDir)).toEqual(['precious.txt']);
  });

  test('writes into an existing empty folder', () => {
    const outDir = tempDir();
    synthEnvironment(inClusterSpec(), { outDir });
    expect(fs.existsSync(path.join(outDir, OUTPUT_MARKER))).toBe(true);
  });
});

describe('synthEnvironment with only one part', () => {
  test('regenerates that part and keeps the others, Terraform state included', () => {
    const outDir = path.join(tempDir(), 'prod');
    synthEnvironment(awsSpec(), { outDir });
    const state = path.join(outDir, 'terraform', 'stacks', 'aws-data', 'terraform.aws-data.tfstate');
    fs.writeFileSync(state, '{"serial": 9}');
    const before = readTree(outDir);
    const steps: string[] = [];
    synthEnvironment(awsSpec({ replicas: 7, maxReplicas: 9 }), {
      outDir,
      only: 'monitoring',
      onStep: (name) => steps.push(name),
    });
    expect(steps).toEqual(['build chart', 'write monitoring']);
    const after = readTree(outDir);
    expect(after.get('kubernetes/mcpenv.k8s.yaml')).toEqual(before.get('kubernetes/mcpenv.k8s.yaml'));
    expect(after.get('terraform/stacks/aws-data/cdk.tf.json')).toEqual(
      before.get('terraform/stacks/aws-data/cdk.tf.json'),
    );
    expect(fs.readFileSync(state, 'utf8')).toBe('{"serial": 9}');
  });

  test('regenerating Kubernetes alone changes only the manifests', () => {
    const outDir = path.join(tempDir(), 'prod');
    synthEnvironment(awsSpec(), { outDir });
    const before = readTree(outDir);
    synthEnvironment(awsSpec({ replicas: 5, maxReplicas: 9 }), { outDir, only: 'kubernetes' });
    const after = readTree(outDir);
    expect(after.get('kubernetes/mcpenv.k8s.yaml')).not.toEqual(before.get('kubernetes/mcpenv.k8s.yaml'));
    expect(after.get('terraform/stacks/kubernetes/cdk.tf.json')).toEqual(
      before.get('terraform/stacks/kubernetes/cdk.tf.json'),
    );
  });
});
