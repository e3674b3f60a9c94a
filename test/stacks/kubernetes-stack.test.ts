import { Testing } from 'cdktf';
import { loadEnvironment } from '../../app/environments';
import { buildKubernetesApp, buildTerraformApp, chartObjects } from '../../app/build';
import { KUBERNETES_STACK_ID, manifestId } from '../../stacks/kubernetes-stack';
import { referencedSecretNames } from '../helpers/secret-refs';

interface StackJson {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  variable?: Record<string, Record<string, unknown>>;
  ephemeral?: Record<string, Record<string, Record<string, unknown>>>;
  terraform: { backend: Record<string, Record<string, unknown>> };
}

function kubernetesStackJson(environment: string): { json: StackJson; objects: Record<string, unknown>[] } {
  const spec = loadEnvironment(environment);
  const objects = chartObjects(buildKubernetesApp(spec));
  const app = buildTerraformApp(spec, Testing.app().outdir, objects);
  const stack = app.node.findChild(KUBERNETES_STACK_ID) as Parameters<typeof Testing.synth>[0];
  return { json: JSON.parse(Testing.synth(stack)) as StackJson, objects };
}

describe.each(['dev', 'prod'])('the Kubernetes stack of %s', (environment) => {
  const { json, objects } = kubernetesStackJson(environment);

  test('deploys exactly the objects the chart synthesizes, one kubernetes_manifest each', () => {
    const manifests = json.resource.kubernetes_manifest ?? {};
    expect(Object.keys(manifests).sort()).toEqual(objects.map(manifestId).sort());
    for (const object of objects) {
      expect(manifests[manifestId(object)]?.manifest).toEqual(object);
    }
  });

  test('creates the namespace with Pod Security "restricted" enforced', () => {
    const namespace = Object.values(json.resource.kubernetes_namespace_v1 ?? {})[0] as {
      metadata: { name: string; labels: Record<string, string> };
    };
    expect(namespace.metadata.name).toBe(`mcp-${environment}`);
    expect(namespace.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });

  test('writes the Secrets the chart references with write-only data, so no value lands in state', () => {
    const secrets = Object.values(json.resource.kubernetes_secret_v1 ?? {}) as {
      metadata: { name: string };
      data?: unknown;
      data_wo?: Record<string, string>;
    }[];
    expect(secrets.length).toBe(2);
    for (const secret of secrets) {
      expect(secret.data).toBeUndefined();
      expect(secret.data_wo).toBeDefined();
      for (const [key, value] of Object.entries(secret.data_wo ?? {})) {
        if (key === 'password') expect(value).toMatch(/^\$\{(var|jsondecode\(ephemeral)\./);
      }
    }
    // The probe's key is made by the server (`apikey create`) once it runs: the operator stores it.
    const probeKey = loadEnvironment(environment).probe?.apiKeySecret;
    expect([...referencedSecretNames(objects)].filter((name) => name !== probeKey).sort()).toEqual(
      secrets.map((secret) => secret.metadata.name).sort(),
    );
  });
});

describe('the Kubernetes stack of dev', () => {
  const { json } = kubernetesStackJson('dev');

  test('takes the in-cluster passwords as ephemeral, sensitive variables with a length check', () => {
    for (const name of ['postgres_password', 'redis_password']) {
      expect(json.variable?.[name]).toMatchObject({ sensitive: true, ephemeral: true, nullable: false });
    }
  });

  test('keeps local state beside the stack, at a path siblings can read too', () => {
    expect(json.terraform.backend).toEqual({ local: { path: '../kubernetes/terraform.kubernetes.tfstate' } });
  });
});

describe('the Kubernetes stack of prod', () => {
  const { json, objects } = kubernetesStackJson('prod');

  test("references the probe's API key Secret without writing it: the key exists only once the server made it", () => {
    expect(referencedSecretNames(objects).has('prod-probe-api-key')).toBe(true);
    const written = Object.values(json.resource.kubernetes_secret_v1 ?? {}) as {
      metadata: { name: string };
    }[];
    expect(written.map((secret) => secret.metadata.name)).not.toContain('prod-probe-api-key');
  });

  test('reads the database and Redis secrets as ephemeral values from Secrets Manager', () => {
    expect(Object.keys(json.ephemeral?.aws_secretsmanager_secret_version ?? {}).sort()).toEqual([
      'postgres',
      'redis',
    ]);
  });

  test('keeps state in S3, encrypted and locked', () => {
    expect(json.terraform.backend).toEqual({
      s3: {
        bucket: 'example-mcpenv-terraform-state',
        key: 'mcpenv/prod/kubernetes.tfstate',
        region: 'eu-west-1',
        encrypt: true,
        use_lockfile: true,
      },
    });
  });
});
