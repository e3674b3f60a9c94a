import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { diffOutputs, diffValues, loadSnapshot } from '../../app/diff';
import { formatMarkdown, formatText } from '../../app/diff/format';
import { loadEnvironment } from '../../app/environments';
import { synthEnvironment } from '../../app/synth';
import { ValidationError } from '../../constructs/errors';
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

function editTerraform(edit: (json: TerraformJson) => void) {
  return headWith(tfFile, (text) => {
    const json = JSON.parse(text);
    edit(json);
    return JSON.stringify(json, null, 2);
  });
}

type TerraformJson = { resource: Record<string, Record<string, Record<string, unknown>>> };

/** The first resource of `type` in a stack. */
function firstOf(json: TerraformJson, type: string) {
  return Object.values(json.resource[type] ?? {})[0] as Record<string, unknown>;
}

const dbOf = (json: TerraformJson) => firstOf(json, 'aws_db_instance');

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

  test('counts the replacement of a stateful resource as a destroy, and says that it destroys the data', () => {
    const head = editTerraform((json) => {
      dbOf(json).kms_key_id = '${aws_kms_key.OtherKey.arn}';
    });
    const report = diffOutputs(base, head);
    expect(report.summary).toMatchObject({ changed: 1, replace: 1, destroy: 1 });
    expect(report.items[0]?.risks).toEqual([
      { level: 'replace', message: 'changing kms_key_id replaces the aws_db_instance' },
      {
        level: 'destroy',
        message: 'the replacement destroys the aws_db_instance and its data: the new one starts empty',
      },
    ]);
    expect(formatMarkdown(report)).toContain(
      '**destroy** `aws-data: aws_db_instance.Postgres_9DC8BB04`: the replacement destroys the aws_db_instance and its data',
    );
    expect(formatText(report)).toMatch(/^1 changed, 0 added, 0 removed — warnings: 1 destroy, 1 replace$/m);
  });

  test.each([
    ['aws_elasticache_replication_group', 'replication_group_id', 'mcpenv-prod-2'],
    ['aws_elasticache_replication_group', 'at_rest_encryption_enabled', 'false'],
    ['aws_elasticache_replication_group', 'port', 6380],
    ['aws_kms_key', 'multi_region', true],
    ['aws_secretsmanager_secret', 'name', 'mcpenv-prod/redis-auth-token-2'],
  ])('counts the replacement of a %s (a change of %s) as a destroy', (type, attribute, value) => {
    const head = editTerraform((json) => {
      firstOf(json, type)[attribute] = value;
    });
    const report = diffOutputs(base, head);
    expect(report.summary).toMatchObject({ replace: 1, destroy: 1 });
    expect(report.items[0]?.risks).toContainEqual({
      level: 'destroy',
      message: expect.stringMatching(new RegExp(`^the replacement destroys the ${type} and its data`)),
    });
  });

  test('does not count the replacement of a stateless resource as a destroy', () => {
    const head = editTerraform((json) => {
      firstOf(json, 'aws_security_group').name = 'mcpenv-prod-postgres-2';
    });
    const report = diffOutputs(base, head);
    expect(report.summary).toMatchObject({ replace: 1, destroy: 0 });
  });

  test('does not flag an RDS identifier change: hashicorp/aws 5.x renames the instance in place', () => {
    const head = editTerraform((json) => {
      dbOf(json).identifier = 'mcpenv-prod-2';
    });
    const [item] = diffOutputs(base, head).items;
    expect(item?.changes).toEqual([{ path: 'identifier', before: 'mcpenv-prod', after: 'mcpenv-prod-2' }]);
    expect(item?.risks).toEqual([]);
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
          /---\napiVersion: networking.k8s.io\/v1\nkind: NetworkPolicy\nmetadata:\n(?: {2}.*\n)*? {2}name: prod-default-deny\n(?:.*\n)*?(?=---)/,
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
      'monitoring.coreos.com/v1 PrometheusRule mcp-prod/prod-server',
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

/** A folder holding `files` (relative path -> content). */
function folderWith(files: Readonly<Record<string, string>>): string {
  const dir = tempDir();
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

/** Kubernetes YAML with the objects named in `renames` (`Kind/name` -> new name) renamed. */
function renameObjects(text: string, renames: Readonly<Record<string, string>>): string {
  return parseAllDocuments(text)
    .map((document) => {
      const object = document.toJS() as { kind: string; metadata: { name: string } };
      object.metadata.name = renames[`${object.kind}/${object.metadata.name}`] ?? object.metadata.name;
      return stringify(object);
    })
    .join('---\n');
}

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, got none');
}

const deployment = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: ${replicas}
`;
const service = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
    - port: 80
`;
const statefulSet = (storage: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
  namespace: shop
spec:
  serviceName: postgres
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        resources:
          requests:
            storage: ${storage}
`;

describe('diffOutputs over folders that mcpenv synth did not write', () => {
  test('diffs two folders of Kubernetes manifests: multi-document files, .yml files and nested folders', () => {
    const before = folderWith({
      'app.k8s.yaml': `${deployment(2)}---\n${service}`,
      'nested/data/postgres.yml': statefulSet('5Gi'),
    });
    const after = folderWith({
      'app.k8s.yaml': deployment(3),
      'nested/data/postgres.yml': statefulSet('10Gi'),
      'nested/settings.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\n',
    });
    const report = diffOutputs(before, after);
    expect(report.items.map((item) => [item.action, item.address])).toEqual([
      ['changed', 'apps/v1 Deployment shop/web'],
      ['changed', 'apps/v1 StatefulSet shop/postgres'],
      ['added', 'v1 ConfigMap shop/settings'],
      ['removed', 'v1 Service shop/web'],
    ]);
    expect(report.items[0]?.changes).toEqual([{ path: 'spec.replicas', before: 2, after: 3 }]);
    expect(loadSnapshot(before).layout).toBe('kubernetes');
  });

  test('reports the change between two copies of a cdk8s output that once read as "No changes"', () => {
    const copy = (from: string) => {
      const dir = tempDir();
      fs.cpSync(path.join(from, 'kubernetes'), dir, { recursive: true });
      return dir;
    };
    const before = copy(base);
    const after = copy(headWith(k8sFile, (text) => text.replace('minReplicas: 3', 'minReplicas: 4')));
    expect(diffOutputs(before, before).items).toEqual([]);
    const report = diffOutputs(before, after);
    expect(formatText(report).split('\n')[0]).toBe('1 changed, 0 added, 0 removed');
    expect(report.items[0]).toMatchObject({
      side: 'kubernetes',
      address: 'autoscaling/v2 HorizontalPodAutoscaler mcp-prod/prod-server',
      changes: [{ path: 'spec.minReplicas', before: 3, after: 4 }],
    });
  });

  test('reads a v1 List as the objects in its items', () => {
    const before = folderWith({
      'list.yaml': `apiVersion: v1\nkind: List\nitems:\n  - ${service.replace(/\n/g, '\n    ')}`,
    });
    expect([...loadSnapshot(before).entries.keys()]).toEqual(['v1 Service shop/web']);
  });

  test('diffs two cdktf output folders, their kubernetes_manifest resources and providers included', () => {
    const copy = (from: string) => {
      const dir = path.join(tempDir(), 'cdktf.out');
      fs.cpSync(path.join(from, 'terraform'), dir, { recursive: true });
      return dir;
    };
    const before = copy(base);
    const edited = headWith('terraform/stacks/kubernetes/cdk.tf.json', (text) => {
      const json = JSON.parse(text);
      json.resource.kubernetes_manifest.deployment_prod_server.manifest.spec.template.spec.containers[0].image =
        'ghcr.io/example/server:9.9.9';
      return JSON.stringify(json);
    });
    const tfJson = path.join(edited, tfFile);
    const stack = JSON.parse(fs.readFileSync(tfJson, 'utf8'));
    stack.provider.aws[0].region = 'us-east-1';
    fs.writeFileSync(tfJson, JSON.stringify(stack));
    const after = copy(edited);

    expect(diffOutputs(before, before).items).toEqual([]);
    const report = diffOutputs(before, after);
    expect(loadSnapshot(before).layout).toBe('cdktf');
    expect(report.items.map((item) => [item.side, item.address, item.changes.map((c) => c.path)])).toEqual([
      ['terraform', 'aws-data: provider.aws', ['[0].region']],
      [
        'terraform',
        'kubernetes: kubernetes_manifest.deployment_prod_server',
        ['manifest.spec.template.spec.containers[0].image'],
      ],
    ]);
  });

  test.each<[string, () => string, RegExp]>([
    [
      'a path that does not exist',
      () => path.join(tempDir(), 'missing'),
      /does not exist: pass an `mcpenv synth` output/,
    ],
    [
      'a file',
      () => path.join(folderWith({ 'app.k8s.yaml': service }), 'app.k8s.yaml'),
      /is a file, not a folder/,
    ],
    ['an empty folder', () => tempDir(), /holds no synth output that mcpenv diff can read/],
    [
      'a folder of other files',
      () => folderWith({ 'README.md': '# hi', 'values.json': '{}' }),
      /holds no synth output/,
    ],
    [
      'a YAML file that is not Kubernetes objects',
      () => folderWith({ 'app.k8s.yaml': service, 'monitoring/rules.yaml': 'groups: []\n' }),
      /rules\.yaml:1 is not a Kubernetes object \(it needs apiVersion, kind and metadata\.name\): move other YAML files out of/,
    ],
    [
      'unreadable YAML',
      () => folderWith({ 'app.k8s.yaml': 'kind: [\n' }),
      /app\.k8s\.yaml has unreadable YAML: YAML error at line/,
    ],
    [
      'an object defined twice',
      () => folderWith({ 'a.yaml': deployment(1), 'b.yaml': deployment(2) }),
      /apps\/v1 Deployment shop\/web is defined twice \(\S+a\.yaml:1 and \S+b\.yaml:1\): kubectl apply would keep only the last/,
    ],
    [
      'YAML files without objects',
      () => folderWith({ 'app.k8s.yaml': '# nothing yet\n---\n' }),
      /holds no Kubernetes objects in its YAML files/,
    ],
    [
      'a cdktf manifest that lists a missing stack',
      () =>
        folderWith({
          'manifest.json': JSON.stringify({
            stacks: { app: { synthesizedStackPath: 'stacks/app/cdk.tf.json' } },
          }),
        }),
      /manifest\.json lists stack app, but \S+cdk\.tf\.json is missing/,
    ],
    [
      'a cdktf manifest without stacks',
      () => folderWith({ 'manifest.json': '{"version":"0.21.0"}' }),
      /manifest\.json lists no stacks/,
    ],
    [
      'broken JSON in a stack',
      () => folderWith({ 'manifest.json': '{"stacks":{"app":{}}}', 'stacks/app/cdk.tf.json': '{' }),
      /cdk\.tf\.json is not valid JSON/,
    ],
    [
      'an mcpenv output marker with nothing next to it',
      () => folderWith({ 'mcpenv.out.json': '{}' }),
      /has mcpenv\.out\.json but neither kubernetes\/ nor terraform\/: run `mcpenv synth --out/,
    ],
  ])('rejects %s with a message naming the folder and the fix', (_case, make, message) => {
    const dir = make();
    const error = errorOf(() => diffOutputs(dir, dir));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain(dir);
    expect(error.message).toMatch(message);
  });

  test('rejects two folders of different layouts', () => {
    const manifests = folderWith({ 'app.k8s.yaml': service });
    const error = errorOf(() => diffOutputs(base, manifests));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe(
      `the base ${base} is an \`mcpenv synth\` output (mcpenv.out.json next to kubernetes/ and terraform/), ` +
        `but the head ${manifests} is a folder of Kubernetes manifests (*.yaml or *.yml files, in subfolders too, ` +
        'as `cdk8s synth` writes to dist/): compare two folders of one layout ' +
        '(an `mcpenv synth` output holds a cdktf output in terraform/ and manifests in kubernetes/)',
    );
  });
});

describe('diffOutputs of renamed Kubernetes objects and replaced StatefulSets', () => {
  const devBase = path.join(tempDir(), 'dev');
  beforeAll(() => {
    synthEnvironment(loadEnvironment('dev'), { outDir: devBase });
  });
  const renames = { 'Deployment/dev-server': 'next-server', 'StatefulSet/dev-postgres': 'next-postgres' };

  test('shows a renamed object as one removal and one addition, and the removed StatefulSet as a destroy of its data', () => {
    const head = path.join(tempDir(), 'head');
    fs.cpSync(devBase, head, { recursive: true });
    const manifests = path.join(head, k8sFile);
    fs.writeFileSync(manifests, renameObjects(fs.readFileSync(manifests, 'utf8'), renames));

    const report = diffOutputs(devBase, head);
    expect(report.items.map((item) => [item.action, item.address])).toEqual([
      ['removed', 'apps/v1 Deployment mcp-dev/dev-server'],
      ['added', 'apps/v1 Deployment mcp-dev/next-server'],
      ['removed', 'apps/v1 StatefulSet mcp-dev/dev-postgres'],
      ['added', 'apps/v1 StatefulSet mcp-dev/next-postgres'],
    ]);
    expect(report.summary).toMatchObject({ added: 2, removed: 2, changed: 0, destroy: 1 });
    const removed = report.items.find((item) => item.address === 'apps/v1 StatefulSet mcp-dev/dev-postgres');
    expect(removed?.risks).toEqual([
      {
        level: 'destroy',
        message: expect.stringMatching(
          /^removing the StatefulSet destroys it and its data: .* a StatefulSet under another name starts with new, empty ones$/,
        ),
      },
    ]);
    expect(formatMarkdown(report)).toContain(
      '⚠️ **destroy** `apps/v1 StatefulSet mcp-dev/dev-postgres`: removing',
    );
  });

  test('shows the same rename in a cdktf output, where the kubernetes_manifest resource is renamed too', () => {
    const renamed = path.join(tempDir(), 'cdktf.out');
    fs.cpSync(path.join(devBase, 'terraform'), renamed, { recursive: true });
    const stackFile = path.join(renamed, 'stacks', 'kubernetes', 'cdk.tf.json');
    const stack = JSON.parse(fs.readFileSync(stackFile, 'utf8'));
    const manifests = stack.resource.kubernetes_manifest;
    manifests.statefulset_next_postgres = manifests.statefulset_dev_postgres;
    manifests.statefulset_next_postgres.manifest.metadata.name = 'next-postgres';
    delete manifests.statefulset_dev_postgres;
    fs.writeFileSync(stackFile, JSON.stringify(stack));

    const report = diffOutputs(path.join(devBase, 'terraform'), renamed);
    expect(report.items.map((item) => [item.action, item.address, item.risks.map((r) => r.level)])).toEqual([
      ['removed', 'kubernetes: kubernetes_manifest.statefulset_dev_postgres', ['destroy']],
      ['added', 'kubernetes: kubernetes_manifest.statefulset_next_postgres', []],
    ]);
  });

  test('counts a kubernetes_manifest whose object is renamed in place as a replacement that destroys a StatefulSet', () => {
    const renamed = path.join(tempDir(), 'cdktf.out');
    fs.cpSync(path.join(devBase, 'terraform'), renamed, { recursive: true });
    const stackFile = path.join(renamed, 'stacks', 'kubernetes', 'cdk.tf.json');
    const stack = JSON.parse(fs.readFileSync(stackFile, 'utf8'));
    stack.resource.kubernetes_manifest.statefulset_dev_postgres.manifest.metadata.name = 'next-postgres';
    fs.writeFileSync(stackFile, JSON.stringify(stack));

    const [item] = diffOutputs(path.join(devBase, 'terraform'), renamed).items;
    expect(item?.risks).toEqual([
      { level: 'replace', message: 'changing manifest.metadata.name replaces the StatefulSet' },
      {
        level: 'destroy',
        message: expect.stringMatching(
          /^the replacement destroys the StatefulSet and its data: the PersistentVolumeClaims of its volumeClaimTemplates stay behind/,
        ),
      },
    ]);
  });

  test('counts a StatefulSet whose volume claim templates change as replaced, which destroys its data', () => {
    const head = path.join(tempDir(), 'head');
    fs.cpSync(devBase, head, { recursive: true });
    const manifests = path.join(head, k8sFile);
    fs.writeFileSync(manifests, fs.readFileSync(manifests, 'utf8').replace('storage: 5Gi', 'storage: 10Gi'));

    const report = diffOutputs(devBase, head);
    expect(report.summary).toMatchObject({ changed: 1, replace: 1, destroy: 1 });
    expect(report.items[0]).toMatchObject({
      address: 'apps/v1 StatefulSet mcp-dev/dev-postgres',
      changes: [
        {
          path: 'spec.volumeClaimTemplates[0].spec.resources.requests.storage',
          before: '5Gi',
          after: '10Gi',
        },
      ],
      risks: [
        { level: 'replace', message: 'changing spec.volumeClaimTemplates replaces the StatefulSet' },
        {
          level: 'destroy',
          message: expect.stringContaining('the replacement destroys the StatefulSet and its data'),
        },
      ],
    });
  });
});
