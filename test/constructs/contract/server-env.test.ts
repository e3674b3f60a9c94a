import { RUNTIME_VARIABLES, SECRET_VARIABLES, SERVER_VARIABLES } from '@mcpenv/contract';
import { Chart, Testing } from 'cdk8s';
import type { EnvVar } from 'cdk8s-plus-28/lib/imports/k8s';
import { Cache, Database } from '../../../constructs/k8s/data';
import { McpEnvironment, type McpEnvironmentProps } from '../../../constructs/k8s/environment';
import { parseServerConfig } from '../../../server/config';

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

/** The env of every container of the server's pods (the server and the migration init container). */
function workloadEnv(props: Partial<McpEnvironmentProps>): { container: string; env: EnvVar[] }[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'mcp' });
  new McpEnvironment(chart, 'mcp', {
    image: 'ghcr.io/acme/mcp:1.0.0',
    publicUrl: 'https://mcp.example.com',
    ...props,
  });
  const deployment = Testing.synth(chart).find((object) => object.kind === 'Deployment');
  const pod = deployment.spec.template.spec as {
    containers: { name: string; env?: EnvVar[] }[];
    initContainers?: { name: string; env?: EnvVar[] }[];
  };
  return [...pod.containers, ...(pod.initContainers ?? [])].map((c) => ({
    container: c.name,
    env: c.env ?? [],
  }));
}

/** The environment a container would see, with each Secret reference filled in. */
function resolve(env: readonly EnvVar[]): Record<string, string> {
  return Object.fromEntries(
    env.map((variable) => {
      const key = variable.valueFrom?.secretKeyRef?.key;
      if (key !== undefined) {
        const value = SECRET_VALUES[key];
        if (value === undefined)
          throw new Error(`${variable.name} reads Secret key "${key}", which this test does not know`);
        return [variable.name, value];
      }
      if (variable.value === undefined)
        throw new Error(`${variable.name} has neither a value nor a Secret reference`);
      return [variable.name, variable.value];
    }),
  );
}

describe.each(cases)('the workload for $name', ({ props }) => {
  const containers = workloadEnv(props);

  test('sets only variables the server or its runtime reads', () => {
    const known = new Set<string>([...SERVER_VARIABLES, ...RUNTIME_VARIABLES]);
    for (const { container, env } of containers) {
      expect([container, env.map((v) => v.name).filter((name) => !known.has(name))]).toEqual([container, []]);
    }
  });

  test('sets secret variables from Secrets only, never as values', () => {
    for (const { env } of containers) {
      const secretsAsValues = env.filter(
        (v) =>
          (SECRET_VARIABLES as readonly string[]).includes(v.name) && v.valueFrom?.secretKeyRef === undefined,
      );
      expect(secretsAsValues).toEqual([]);
    }
  });

  test('gives the server everything it needs to start in server mode', () => {
    for (const { container, env } of containers) {
      const config = parseServerConfig(resolve(env));
      expect([container, config.mode]).toEqual([container, 'server']);
    }
  });
});

describe('the server reads', () => {
  test('rejects a workload that would leave out a variable the server needs in server mode', () => {
    const [server] = workloadEnv({});
    const withoutPublicUrl = (server?.env ?? []).filter((v) => v.name !== 'PUBLIC_URL');
    expect(() => parseServerConfig(resolve(withoutPublicUrl))).toThrow(/PUBLIC_URL/);
  });
});
