import * as path from 'node:path';
import { buildKubernetesApp } from '../../../app/build';
import { loadEnvironment } from '../../../app/environments';
import {
  type Finding,
  readManifestFiles,
  SCHEMA_RULES,
  validateManifestFiles,
  validateManifests,
  validateObjectSchema,
} from '../../../app/validate';
import {
  certificate,
  clusterIssuer,
  deployment,
  gateway,
  httpRoute,
  type KubeObject,
  prometheusRule,
  redirectRoute,
  service,
  serviceMonitor,
  withValue,
} from '../../fixtures/manifests/objects';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'manifests');

/** The findings as `rule path`, the shape most assertions need. */
function rulesAndPaths(findings: readonly Finding[]): string[] {
  return findings.map((finding) => `${finding.rule} ${finding.path}`);
}

describe('validateObjectSchema', () => {
  describe('built-in kinds', () => {
    test('accepts a valid Deployment', () => {
      expect(validateObjectSchema(deployment())).toEqual([]);
    });

    test('rejects a Deployment whose replicas is a string', () => {
      const findings = validateObjectSchema(withValue(deployment(), 'spec.replicas', 'three'));
      expect(findings).toEqual([
        {
          objectRef: 'apps/v1 Deployment mcp-prod/mcp-server',
          path: 'spec.replicas',
          message: 'must be of type integer (got "three")',
          rule: 'schema',
        },
      ]);
    });

    test('rejects a Deployment without containers', () => {
      const findings = validateObjectSchema(
        withValue(deployment(), 'spec.template.spec.containers', undefined),
      );
      expect(rulesAndPaths(findings)).toEqual(['schema spec.template.spec.containers']);
      expect(findings[0]?.message).toBe('is required but missing');
    });

    test('rejects a value outside an enum and names the allowed ones', () => {
      const broken = withValue(deployment(), 'spec.template.spec.containers[0].imagePullPolicy', 'Sometimes');
      expect(validateObjectSchema(broken)).toEqual([
        expect.objectContaining({
          path: 'spec.template.spec.containers[0].imagePullPolicy',
          message: 'must be one of "Always", "IfNotPresent", "Never" (got "Sometimes")',
        }),
      ]);
    });

    test('rejects misspelt fields of a built-in kind as unknown fields', () => {
      let broken = withValue(deployment(), 'spec.template.spec.containers[0].imagePullPolicyy', 'Always');
      broken = withValue(broken, 'spec.template.spec.securityContext.runAsNonroot', true);
      broken = withValue(broken, 'spec.strategyy', { type: 'Recreate' });
      expect(rulesAndPaths(validateObjectSchema(broken))).toEqual([
        'unknown-field spec.template.spec.securityContext.runAsNonroot',
        'unknown-field spec.template.spec.containers[0].imagePullPolicyy',
        'unknown-field spec.strategyy',
      ]);
    });

    test('accepts maps and free-form fields of built-in kinds', () => {
      const configMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'settings',
          labels: { 'app.kubernetes.io/name': 'mcp-server', tier: '' },
          annotations: { 'example.com/anything': 'free text, with spaces' },
          managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:data': { 'f:A': {} } } }],
        },
        data: { A: '1', 'b.json': '{}' },
      };
      expect(validateObjectSchema(configMap)).toEqual([]);
    });

    test.each([
      ['v1', 'Namespace'],
      ['v1', 'ServiceAccount'],
      ['v1', 'Service'],
      ['v1', 'ConfigMap'],
      ['v1', 'Secret'],
      ['v1', 'PersistentVolumeClaim'],
      ['apps/v1', 'Deployment'],
      ['apps/v1', 'StatefulSet'],
      ['batch/v1', 'Job'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler'],
      ['policy/v1', 'PodDisruptionBudget'],
      ['networking.k8s.io/v1', 'Ingress'],
      ['networking.k8s.io/v1', 'NetworkPolicy'],
      ['rbac.authorization.k8s.io/v1', 'Role'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
    ])('has a schema for %s %s', (apiVersion, kind) => {
      const findings = validateObjectSchema({ apiVersion, kind, metadata: { name: 'example' } });
      expect(findings.filter((finding) => finding.message.startsWith('unknown kind'))).toEqual([]);
    });
  });

  describe('custom resources', () => {
    test.each([
      ['PrometheusRule', prometheusRule],
      ['ServiceMonitor', serviceMonitor],
      ['Certificate', certificate],
      ['ClusterIssuer', clusterIssuer],
      ['Gateway', gateway],
      ['HTTPRoute', httpRoute],
      ['HTTPRoute that redirects', redirectRoute],
    ])('accepts a valid %s', (_name, build) => {
      expect(validateObjectSchema(build())).toEqual([]);
    });

    test('accepts an integer where the CRD says x-kubernetes-int-or-string', () => {
      expect(validateObjectSchema(withValue(prometheusRule(), 'spec.groups[0].rules[0].expr', 1))).toEqual(
        [],
      );
    });

    test('accepts a pattern written with a Go (?i) flag in any case', () => {
      const rule = withValue(prometheusRule(), 'spec.groups[0].partial_response_strategy', 'ABORT');
      expect(validateObjectSchema(rule)).toEqual([]);
    });

    test('rejects a PrometheusRule rule without expr', () => {
      const rule = withValue(prometheusRule(), 'spec.groups[0].rules[1].expr', undefined);
      expect(validateObjectSchema(rule)).toEqual([
        {
          objectRef: 'monitoring.coreos.com/v1 PrometheusRule mcp-prod/mcp-server',
          path: 'spec.groups[0].rules[1].expr',
          message: 'is required but missing',
          rule: 'schema',
        },
      ]);
    });

    test('rejects an unknown field in a PrometheusRule', () => {
      const rule = withValue(prometheusRule(), 'spec.groups[0].rulez', []);
      expect(validateObjectSchema(rule)).toEqual([
        expect.objectContaining({
          path: 'spec.groups[0].rulez',
          rule: 'unknown-field',
          message: expect.stringMatching(/^unknown field: the API server would drop it/),
        }),
      ]);
    });

    test('rejects a duration that does not match the CRD pattern', () => {
      const rule = withValue(prometheusRule(), 'spec.groups[0].rules[0].for', '5 minutes');
      expect(rulesAndPaths(validateObjectSchema(rule))).toEqual(['schema spec.groups[0].rules[0].for']);
    });

    test('rejects a Certificate with an unknown field', () => {
      const broken = withValue(certificate(), 'spec.dnsName', 'mcp.example.com');
      expect(rulesAndPaths(validateObjectSchema(broken))).toEqual(['unknown-field spec.dnsName']);
    });

    test('rejects an unknown field at the top level of a custom resource', () => {
      const broken = withValue(certificate(), 'sepc', {});
      expect(rulesAndPaths(validateObjectSchema(broken))).toEqual(['unknown-field sepc']);
    });

    test('rejects an int32 field out of range', () => {
      const broken = withValue(certificate(), 'spec.revisionHistoryLimit', 2 ** 40);
      expect(rulesAndPaths(validateObjectSchema(broken))).toEqual(['schema spec.revisionHistoryLimit']);
    });

    test('rejects an HTTPRoute whose backend port is not a number', () => {
      const broken = withValue(httpRoute(), 'spec.rules[0].backendRefs[0].port', 'http');
      expect(rulesAndPaths(validateObjectSchema(broken))).toEqual([
        'schema spec.rules[0].backendRefs[0].port',
      ]);
    });

    test('rejects unknown and mistyped fields in the metadata of a custom resource', () => {
      let broken = withValue(certificate(), 'metadata.label', { a: 'b' });
      broken = withValue(broken, 'metadata.annotations', { note: 42 });
      expect(rulesAndPaths(validateObjectSchema(broken))).toEqual([
        'schema metadata.annotations.note',
        'unknown-field metadata.label',
      ]);
    });
  });

  describe('kinds without a schema', () => {
    test('rejects an unknown kind', () => {
      const findings = validateObjectSchema({
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w' },
      });
      expect(findings).toEqual([
        {
          objectRef: 'example.com/v1 Widget w',
          path: '',
          message: expect.stringMatching(
            /^unknown kind: no schema for example\.com\/v1 Widget; .*vendor the CRD/,
          ),
          rule: 'schema',
        },
      ]);
    });

    test('rejects a custom resource version the CRD does not serve, naming those it does', () => {
      const findings = validateObjectSchema(
        withValue(httpRoute(), 'apiVersion', 'gateway.networking.k8s.io/v1alpha2'),
      );
      expect(findings).toEqual([
        expect.objectContaining({
          path: '',
          message: expect.stringContaining('the vendored CRD serves gateway.networking.k8s.io/v1 HTTPRoute'),
        }),
      ]);
    });

    test('rejects the name of a schema type used as a kind', () => {
      const findings = validateObjectSchema({
        apiVersion: 'apps/v1',
        kind: 'DeploymentSpec',
        metadata: { name: 'd' },
      });
      expect(findings[0]?.message).toMatch(/^unknown kind/);
    });

    test('rejects an apiVersion that tries to leave the kubernetes-models package', () => {
      const findings = validateObjectSchema({
        apiVersion: '../../yaml/v1',
        kind: 'Index',
        metadata: { name: 'x' },
      });
      expect(findings[0]?.message).toMatch(/^unknown kind/);
    });

    test('rejects an object without apiVersion and kind', () => {
      expect(rulesAndPaths(validateObjectSchema({ metadata: { name: 'x' } }))).toEqual([
        'schema apiVersion',
        'schema kind',
      ]);
    });

    test('rejects a value that is not an object', () => {
      expect(validateObjectSchema('kind: Deployment')).toEqual([
        expect.objectContaining({
          path: '',
          rule: 'schema',
          message: expect.stringMatching(/must be an object/),
        }),
      ]);
    });
  });

  describe('metadata', () => {
    test('rejects an object without a name', () => {
      expect(
        rulesAndPaths(validateObjectSchema(withValue(deployment(), 'metadata.name', undefined))),
      ).toEqual(['metadata metadata.name']);
    });

    test('rejects a name that is not a DNS subdomain', () => {
      const findings = validateObjectSchema(withValue(deployment(), 'metadata.name', 'MCP_Server'));
      expect(findings).toEqual([
        expect.objectContaining({
          path: 'metadata.name',
          rule: 'metadata',
          message: expect.stringMatching(/^must be a DNS-1123 subdomain: .* \(got "MCP_Server"\)$/),
        }),
      ]);
    });

    test('rejects a Service name that does not start with a letter', () => {
      const findings = validateObjectSchema(withValue(service(), 'metadata.name', '1-server'));
      expect(findings[0]?.message).toMatch(/^must be a DNS-1035 label/);
      expect(validateObjectSchema(withValue(deployment(), 'metadata.name', '1-server'))).toEqual([]);
    });

    test('rejects a Namespace name with a dot', () => {
      const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mcp.prod' } };
      expect(rulesAndPaths(validateObjectSchema(namespace))).toEqual(['metadata metadata.name']);
    });

    test('accepts RBAC names with colons', () => {
      const role = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'mcpenv:metrics-reader' },
        rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
      };
      expect(validateObjectSchema(role)).toEqual([]);
    });

    test('rejects a namespace that is not a DNS label', () => {
      const findings = validateObjectSchema(withValue(deployment(), 'metadata.namespace', 'mcp_prod'));
      expect(rulesAndPaths(findings)).toEqual(['metadata metadata.namespace']);
    });

    test('rejects a label value longer than 63 characters', () => {
      const findings = validateObjectSchema(
        withValue(service(), 'metadata.labels', { team: 'a'.repeat(64) }),
      );
      expect(findings).toEqual([
        expect.objectContaining({
          path: 'metadata.labels.team',
          rule: 'metadata',
          message: expect.stringContaining('put longer text in an annotation'),
        }),
      ]);
    });

    test('rejects label values and keys with characters Kubernetes does not allow', () => {
      const labels = { 'app.kubernetes.io/name': 'mcp server', 'Example.com/team': 'ops', '-team': 'ops' };
      expect(rulesAndPaths(validateObjectSchema(withValue(service(), 'metadata.labels', labels)))).toEqual([
        'metadata metadata.labels["app.kubernetes.io/name"]',
        'metadata metadata.labels["Example.com/team"]',
        'metadata metadata.labels["-team"]',
      ]);
    });

    test('rejects an annotation key with a bad prefix but accepts any annotation value', () => {
      const annotations = { 'example.com/note': 'any text: even\nnew lines', 'example_com/note': 'x' };
      expect(
        rulesAndPaths(validateObjectSchema(withValue(service(), 'metadata.annotations', annotations))),
      ).toEqual(['metadata metadata.annotations["example_com/note"]']);
    });

    test('rejects annotations larger than 256 KiB in total', () => {
      const annotations = { 'example.com/blob': 'x'.repeat(256 * 1024) };
      expect(
        rulesAndPaths(validateObjectSchema(withValue(service(), 'metadata.annotations', annotations))),
      ).toEqual(['metadata metadata.annotations']);
    });
  });
});

describe('validateManifests', () => {
  const schemaRules: readonly string[] = Object.keys(SCHEMA_RULES);

  test.each(['dev', 'prod'])('finds no schema problem in what the %s chart synthesizes', (environment) => {
    const app = buildKubernetesApp(loadEnvironment(environment));
    const objects = app.charts.flatMap((chart) => chart.toJson());
    const result = validateManifests(objects);
    expect(result.objects).toBe(objects.length);
    expect(result.objects).toBeGreaterThan(0);
    // Policy findings are allowed here while the chart grows; policy.test.ts pins the policies.
    expect(result.findings.filter((finding) => schemaRules.includes(finding.rule))).toEqual([]);
  });

  test('reports schema problems and policy findings together', () => {
    const result = validateManifests([
      withValue(deployment(), 'spec.replicas', 'three'),
      service(),
      gateway(),
      withValue(httpRoute(), 'spec.parentRefs[0].sectionName', 'http'),
    ]);
    expect(result.objects).toBe(4);
    expect(rulesAndPaths(result.findings)).toEqual([
      'schema spec.replicas',
      'tls-on-every-route spec.parentRefs[0].sectionName',
    ]);
  });

  test('rejects an object defined twice, even under two versions of its API group', () => {
    const v1beta1 = withValue(gateway(), 'apiVersion', 'gateway.networking.k8s.io/v1beta1');
    const result = validateManifests([gateway(), service(), v1beta1]);
    expect(result.findings).toEqual([
      {
        objectRef: 'gateway.networking.k8s.io/v1beta1 Gateway mcp-prod/public',
        path: '',
        message: expect.stringContaining('defined more than once'),
        rule: 'duplicate-object',
      },
    ]);
  });
});

describe('readManifestFiles', () => {
  test('reads every document of every YAML file under a folder, with its file and line', () => {
    const dir = path.join(FIXTURES, 'tree');
    const { manifests, files, findings } = readManifestFiles(dir);
    expect(files).toEqual([path.join(dir, 'mcpenv.k8s.yaml'), path.join(dir, 'routing', 'route.yaml')]);
    expect(findings).toEqual([]);
    expect(
      manifests.map(({ object, file, line }) => ({
        kind: (object as KubeObject).kind,
        file: path.basename(file),
        line,
      })),
    ).toEqual([
      { kind: 'Service', file: 'mcpenv.k8s.yaml', line: 2 },
      { kind: 'ConfigMap', file: 'mcpenv.k8s.yaml', line: 13 },
      { kind: 'HTTPRoute', file: 'route.yaml', line: 1 },
    ]);
  });

  test('rejects a document with a YAML error, naming its file and line, and reads the other documents', () => {
    const dir = path.join(FIXTURES, 'broken');
    const { manifests, findings } = readManifestFiles(dir);
    expect(manifests.map((manifest) => (manifest.object as KubeObject).metadata)).toEqual([{ name: 'fine' }]);
    expect(findings).toEqual([
      expect.objectContaining({
        rule: 'yaml',
        file: path.join(dir, 'broken.yaml'),
        line: 10,
        message: expect.stringMatching(/^YAML error at line 10: Map keys must be unique/),
      }),
    ]);
  });

  test('rejects a folder that does not exist', () => {
    expect(() => readManifestFiles(path.join(FIXTURES, 'missing'))).toThrow(
      /cannot read the manifests folder .*missing/,
    );
  });
});

describe('validateManifestFiles', () => {
  test('names the file and line of the object each finding is about', () => {
    const dir = path.join(FIXTURES, 'tree');
    const result = validateManifestFiles(dir);
    expect(result.objects).toBe(3);
    expect(result.findings).toEqual([
      expect.objectContaining({
        objectRef: 'gateway.networking.k8s.io/v1 HTTPRoute mcp-prod/mcp-server',
        rule: 'tls-on-every-route',
        path: 'spec.parentRefs[0].sectionName',
        file: path.join(dir, 'routing', 'route.yaml'),
        line: 1,
      }),
    ]);
  });
});
