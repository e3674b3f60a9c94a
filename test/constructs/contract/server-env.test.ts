import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  RUNTIME_VARIABLES,
  SECRET_FILE_VARIABLES,
  SECRET_VARIABLES,
  SERVER_VARIABLES,
  TELEMETRY_VARIABLES,
} from '@mcpenv/contract';
import { Chart, Testing } from 'cdk8s';
import type { EnvVar, Volume, VolumeMount } from 'cdk8s-plus-28/lib/imports/k8s';
import { Cache, Database } from '../../../constructs/k8s/data';
import { McpEnvironment, type McpEnvironmentProps } from '../../../constructs/k8s/environment';
import { parseServerConfig } from '../../../server/config';
import { removeTempDirs, tempDir } from '../../helpers/fixtures';

afterAll(removeTempDirs);

// The contract between the workload and the server: every variable the synthesized workload sets
// is one the server (or Node itself) reads, and whatever data tier an environment chooses, the
// server starts in server mode from exactly what the workload gives it.

const DATABASES = {
  'in-cluster Postgres': () => Database.inCluster(),
  'external Postgres': () => Database.external({ connectionSecret: 'db', cidrs: ['10.0.0.0/16'] }),
};
const CACHES = {
  'in-cluster Redis': () => Cache.inCluster(),
  'in-cluster Redis with persistence': () => Cache.inCluster({ persistence: true }),
  'external Redis': () => Cache.external({ connectionSecret: 'redis', cidrs: ['10.0.0.0/16'] }),
};
const OPTIONS: Record<string, Partial<McpEnvironmentProps>> = {
  'API keys only': {},
  OAuth: { oauth: { issuer: 'https://login.example.com', jwksUrl: 'https://login.example.com/jwks' } },
  tracing: { tracing: { otlpEndpoint: 'http://otel-collector.observability.svc:4318' } },
};

/** What the downward API gives a pod of the chart below, by field path. */
const POD_FIELDS: Record<string, string> = {
  'metadata.name': 'mcp-server-7c9d8b6f5-x2k4q',
  'metadata.namespace': 'mcp',
};

/** A plausible value for each Secret key the workload reads, as a Secret would hold it. */
const SECRET_VALUES: Record<string, string> = {
  host: 'data.internal.example',
  port: '6543',
  dbname: 'mcp',
  username: 'mcp',
  password: 'a-password-of-twenty-chars',
};

const cases = Object.entries(DATABASES).flatMap(([database, makeDatabase]) =>
  Object.entries(CACHES).flatMap(([cache, makeCache]) =>
    Object.entries(OPTIONS).map(([option, props]) => ({
      name: `${database}, ${cache}, ${option}`,
      props: { ...props, database: makeDatabase(), cache: makeCache() },
    })),
  ),
);

interface WorkloadContainer {
  readonly container: string;
  readonly env: EnvVar[];
  readonly volumeMounts: VolumeMount[];
  readonly volumes: Volume[];
}

/** Every container of the pods of the Deployment `name` (the server's: it and its migration init container). */
function workloadEnv(props: Partial<McpEnvironmentProps>, name = 'mcp-server'): WorkloadContainer[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'mcp' });
  new McpEnvironment(chart, 'mcp', {
    image: 'ghcr.io/acme/mcp:1.0.0',
    publicUrl: 'https://mcp.example.com',
    ...props,
  });
  const deployment = Testing.synth(chart).find(
    (object) => object.kind === 'Deployment' && object.metadata.name === name,
  );
  type Container = { name: string; env?: EnvVar[]; volumeMounts?: VolumeMount[] };
  const pod = deployment.spec.template.spec as {
    containers: Container[];
    initContainers?: Container[];
    volumes?: Volume[];
  };
  return [...pod.containers, ...(pod.initContainers ?? [])].map((c) => ({
    container: c.name,
    env: c.env ?? [],
    volumeMounts: c.volumeMounts ?? [],
    volumes: pod.volumes ?? [],
  }));
}

/**
 * The Secret key a container would find at `file`, through its mounts and the pod's Secret
 * volumes; undefined when no mounted Secret provides that path.
 */
function mountedSecretKey(container: WorkloadContainer, file: string): string | undefined {
  for (const mount of container.volumeMounts) {
    if (!file.startsWith(`${mount.mountPath}/`)) continue;
    const volume = container.volumes.find((v) => v.name === mount.name);
    const items = [
      ...(volume?.secret?.items ?? []),
      ...(volume?.projected?.sources ?? []).flatMap((source) => source.secret?.items ?? []),
    ];
    const item = items.find((i) => path.posix.join(mount.mountPath, i.path) === file);
    if (item) return item.key;
  }
  return undefined;
}

/**
 * The environment a container would see, with each Secret reference filled in. A `_FILE`
 * variable's mounted Secret key is written to a temporary file, with the trailing newline of a
 * Secret made `--from-file`, and the variable points there. A downward-API variable gets the
 * pod's field, and `$(VAR)` is expanded as Kubernetes does: only for variables defined earlier.
 */
function resolve(container: WorkloadContainer): Record<string, string> {
  const dir = tempDir('mcpenv-contract-');
  const defined = new Map<string, string>();
  const expand = (value: string) =>
    value.replace(
      /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
      (reference, name: string) => defined.get(name) ?? reference,
    );
  return Object.fromEntries(
    container.env.map((variable) => {
      const resolved = resolveOne(variable, container, dir, expand);
      defined.set(resolved[0], resolved[1]);
      return resolved;
    }),
  );
}

/** One variable as the container sees it; `expand` fills in the earlier variables it references. */
function resolveOne(
  variable: EnvVar,
  container: WorkloadContainer,
  dir: string,
  expand: (value: string) => string,
): [string, string] {
  if ((SECRET_FILE_VARIABLES as readonly string[]).includes(variable.name)) {
    const key = mountedSecretKey(container, variable.value ?? '');
    if (key === undefined) throw new Error(`${variable.name} names no mounted Secret key`);
    const value = SECRET_VALUES[key];
    if (value === undefined)
      throw new Error(`${variable.name} reads Secret key "${key}", which this test does not know`);
    const file = path.join(dir, variable.name);
    fs.writeFileSync(file, `${value}\n`);
    return [variable.name, file];
  }
  const key = variable.valueFrom?.secretKeyRef?.key;
  if (key !== undefined) {
    const value = SECRET_VALUES[key];
    if (value === undefined)
      throw new Error(`${variable.name} reads Secret key "${key}", which this test does not know`);
    return [variable.name, value];
  }
  const field = variable.valueFrom?.fieldRef?.fieldPath;
  if (field !== undefined) {
    const value = POD_FIELDS[field];
    if (value === undefined) throw new Error(`${variable.name} reads the pod field ${field}, unknown here`);
    return [variable.name, value];
  }
  if (variable.value === undefined)
    throw new Error(`${variable.name} has neither a value nor a Secret reference`);
  return [variable.name, expand(variable.value)];
}

describe.each(cases)('the workload for $name', ({ props }) => {
  const containers = workloadEnv(props);

  test('sets only variables the server or its runtime reads', () => {
    const known = new Set<string>([
      ...SERVER_VARIABLES,
      ...SECRET_FILE_VARIABLES,
      ...RUNTIME_VARIABLES,
      ...TELEMETRY_VARIABLES,
    ]);
    for (const { container, env } of containers) {
      expect([container, env.map((v) => v.name).filter((name) => !known.has(name))]).toEqual([container, []]);
    }
  });

  test('passes every secret as a file mounted read-only from a Secret, never in the environment', () => {
    for (const container of containers) {
      const inEnvironment = container.env.filter((v) =>
        (SECRET_VARIABLES as readonly string[]).includes(v.name),
      );
      expect([container.container, inEnvironment]).toEqual([container.container, []]);
      const files = container.env.filter((v) =>
        (SECRET_FILE_VARIABLES as readonly string[]).includes(v.name),
      );
      expect(files.map((v) => v.name).sort()).toEqual(['PGPASSWORD_FILE', 'REDIS_PASSWORD_FILE']);
      for (const file of files) {
        expect([file.name, mountedSecretKey(container, file.value ?? '')]).toEqual([file.name, 'password']);
        const mount = container.volumeMounts.find((m) => file.value?.startsWith(`${m.mountPath}/`));
        expect([file.name, mount?.readOnly]).toEqual([file.name, true]);
      }
    }
  });

  test('defines every variable a value references before it, so Kubernetes expands them all', () => {
    for (const container of containers) {
      const unexpanded = Object.entries(resolve(container)).filter(([, value]) =>
        /\$\([A-Za-z_]/.test(value),
      );
      expect([container.container, unexpanded]).toEqual([container.container, []]);
    }
  });

  test('gives the server everything it needs to start in server mode, passwords included', () => {
    for (const container of containers) {
      const config = parseServerConfig(resolve(container));
      expect([container.container, config.mode]).toEqual([container.container, 'server']);
      expect([
        container.container,
        config.postgresEndpoint?.password,
        config.redisEndpoint?.password,
      ]).toEqual([container.container, SECRET_VALUES.password, SECRET_VALUES.password]);
    }
  });
});

describe('the workload with tracing', () => {
  test("names the pod, its namespace and the image's version in the resource attributes", () => {
    const [server] = workloadEnv(OPTIONS.tracing ?? {});
    if (server === undefined) throw new Error('no server container');
    expect(resolve(server)).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability.svc:4318',
      OTEL_SERVICE_NAME: 'mcp-server',
      OTEL_RESOURCE_ATTRIBUTES:
        'k8s.namespace.name=mcp,k8s.pod.name=mcp-server-7c9d8b6f5-x2k4q,service.version=1.0.0',
    });
  });
});

describe('the probe container', () => {
  const [probe] = workloadEnv({ probe: { apiKeySecret: 'mcp-probe-key' } }, 'mcp-probe');
  if (probe === undefined) throw new Error('no probe container');

  test('sets no variable: no key in its environment, where child processes and the runtime would see it', () => {
    expect(probe.env).toEqual([]);
  });

  test('reads its key from the file --api-key-file names, a Secret key mounted read-only', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'mcp' });
    const environment = new McpEnvironment(chart, 'mcp', {
      image: 'ghcr.io/acme/mcp:1.0.0',
      publicUrl: 'https://mcp.example.com',
      probe: { apiKeySecret: 'mcp-probe-key' },
    });
    const args = environment.probe?.deployment.toJson().spec.template.spec.containers[0].args as string[];
    const file = args[args.indexOf('--api-key-file') + 1] ?? '';
    expect(mountedSecretKey(probe, file)).toBe('api-key');
    expect(probe.volumeMounts.find((mount) => file.startsWith(`${mount.mountPath}/`))?.readOnly).toBe(true);
  });
});

describe('the server reads', () => {
  test('rejects a workload that would leave out a variable the server needs in server mode', () => {
    const [server] = workloadEnv({});
    if (server === undefined) throw new Error('no server container');
    const withoutPublicUrl = { ...server, env: server.env.filter((v) => v.name !== 'PUBLIC_URL') };
    expect(() => parseServerConfig(resolve(withoutPublicUrl))).toThrow(/PUBLIC_URL/);
  });
});
