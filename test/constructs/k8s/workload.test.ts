import { Chart, Testing } from 'cdk8s';
import {
  McpServerWorkload,
  type McpServerWorkloadProps,
  quantityToBytes,
} from '../../../constructs/k8s/workload';

function synth(props: Partial<McpServerWorkloadProps> = {}) {
  const chart = new Chart(Testing.app(), 'test');
  new McpServerWorkload(chart, 'Server', { image: 'ghcr.io/example/server:1.2.3', ...props });
  return Testing.synth(chart);
}

function find(objects: ReturnType<typeof synth>, kind: string) {
  const found = objects.find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind} synthesized`);
  return found;
}

describe('McpServerWorkload', () => {
  test('synthesizes a ServiceAccount, Deployment, Service, HPA and PDB named after the instance', () => {
    expect(synth({ instance: 'prod' }).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/prod-server',
      'Deployment/prod-server',
      'Service/prod-server',
      'HorizontalPodAutoscaler/prod-server',
      'PodDisruptionBudget/prod-server',
    ]);
  });

  test('keeps the names and labels of before without an instance, and takes a name as given', () => {
    const unnamed = find(synth(), 'Deployment');
    expect(unnamed.metadata.name).toBe('mcp-server');
    expect(unnamed.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'mcp-server',
      'app.kubernetes.io/instance': 'mcp-server',
    });
    expect(find(synth({ name: 'api', instance: 'prod' }), 'Deployment').metadata.name).toBe('api');
  });

  test('selects its pods with the same labels everywhere', () => {
    const objects = synth({ instance: 'prod' });
    const selector = { 'app.kubernetes.io/name': 'prod-server', 'app.kubernetes.io/instance': 'prod' };
    expect(find(objects, 'Deployment').spec.selector.matchLabels).toEqual(selector);
    expect(find(objects, 'Service').spec.selector).toEqual(selector);
    expect(find(objects, 'PodDisruptionBudget').spec.selector.matchLabels).toEqual(selector);
    expect(find(objects, 'Service').spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
    ]);
  });

  test('hardens the pod to the restricted Pod Security Standard, without a service-account token', () => {
    const objects = synth();
    const pod = find(objects, 'Deployment').spec.template.spec;
    expect(find(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('mcp-server');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const container of [...pod.containers, ...pod.initContainers]) {
      expect(container.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
    }
  });

  test('runs migrations in an init container before the server starts', () => {
    const pod = find(synth(), 'Deployment').spec.template.spec;
    expect(pod.initContainers).toHaveLength(1);
    expect(pod.initContainers[0]).toMatchObject({
      name: 'migrate',
      args: ['migrate'],
      image: 'ghcr.io/example/server:1.2.3',
    });
    expect(pod.initContainers[0].env).toEqual(pod.containers[0].env);
    expect(
      find(synth({ runMigrations: false }), 'Deployment').spec.template.spec.initContainers,
    ).toBeUndefined();
  });

  test('probes /healthz and /readyz, sets requests and limits, and rolls without losing capacity', () => {
    const deployment = find(synth({ cpuLimit: '2', memoryRequest: '256Mi' }), 'Deployment');
    const container = deployment.spec.template.spec.containers[0];
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi' },
      limits: { cpu: '2', memory: '512Mi' },
    });
  });

  test('spreads pods across zones and nodes', () => {
    const constraints = find(synth(), 'Deployment').spec.template.spec.topologySpreadConstraints;
    expect(constraints.map((c: { topologyKey: string }) => c.topologyKey)).toEqual([
      'topology.kubernetes.io/zone',
      'kubernetes.io/hostname',
    ]);
  });

  test('leaves the pod count to the autoscaler, from replicas to maxReplicas on CPU', () => {
    const objects = synth({ replicas: 3, maxReplicas: 10, targetCpuUtilizationPercent: 60 });
    expect(find(objects, 'Deployment').spec.replicas).toBeUndefined();
    expect(find(objects, 'HorizontalPodAutoscaler')).toMatchObject({
      apiVersion: 'autoscaling/v2',
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'mcp-server' },
        minReplicas: 3,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
          },
        ],
      },
    });
  });

  test('without headroom (maxReplicas = replicas) fixes the count and creates no autoscaler', () => {
    const objects = synth({ replicas: 1, maxReplicas: 1 });
    expect(find(objects, 'Deployment').spec.replicas).toBe(1);
    expect(objects.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
  });

  test('keeps at most one pod unavailable in a disruption, or minAvailable when given', () => {
    expect(find(synth(), 'PodDisruptionBudget').spec).toMatchObject({ maxUnavailable: 1 });
    expect(find(synth({ replicas: 3, minAvailable: 2 }), 'PodDisruptionBudget').spec).toMatchObject({
      minAvailable: 2,
    });
  });

  test('passes settings as plain env and secrets only by reference', () => {
    const container = find(
      synth({
        port: 8080,
        publicUrl: 'https://mcp.example.com',
        env: { LOG_LEVEL: 'debug' },
        referencedEnv: [{ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
        caBundleConfigMap: 'rds-ca',
      }),
      'Deployment',
    ).spec.template.spec.containers[0];
    expect(container.env).toEqual([
      { name: 'BIND_ADDRESS', value: '0.0.0.0' },
      { name: 'PORT', value: '8080' },
      { name: 'SHUTDOWN_DELAY_SECONDS', value: '2' },
      { name: 'SHUTDOWN_DRAIN_SECONDS', value: '25' },
      { name: 'PUBLIC_URL', value: 'https://mcp.example.com' },
      { name: 'NODE_EXTRA_CA_CERTS', value: '/etc/mcpenv/ca/ca.pem' },
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
    ]);
    expect(container.volumeMounts).toContainEqual({
      name: 'ca-bundle',
      mountPath: '/etc/mcpenv/ca',
      readOnly: true,
    });
  });

  test('mounts secret files read-only from their Secrets and names each with a _FILE variable', () => {
    const pod = find(
      synth({
        secretFiles: [
          { variable: 'PGPASSWORD', secretName: 'db', key: 'password' },
          { variable: 'REDIS_PASSWORD', secretName: 'cache', key: 'auth-token' },
        ],
      }),
      'Deployment',
    ).spec.template.spec;
    for (const container of [...pod.containers, ...pod.initContainers]) {
      expect(container.env).toEqual(
        expect.arrayContaining([
          { name: 'PGPASSWORD_FILE', value: '/run/secrets/mcpenv/PGPASSWORD' },
          { name: 'REDIS_PASSWORD_FILE', value: '/run/secrets/mcpenv/REDIS_PASSWORD' },
        ]),
      );
      expect(JSON.stringify(container.env)).not.toContain('secretKeyRef');
      expect(container.volumeMounts).toContainEqual({
        name: 'secrets',
        mountPath: '/run/secrets/mcpenv',
        readOnly: true,
      });
    }
    expect(pod.volumes).toContainEqual({
      name: 'secrets',
      projected: {
        defaultMode: 0o440,
        sources: [
          { secret: { name: 'db', items: [{ key: 'password', path: 'PGPASSWORD' }] } },
          { secret: { name: 'cache', items: [{ key: 'auth-token', path: 'REDIS_PASSWORD' }] } },
        ],
      },
    });
    // Mode 0440 is enough for the non-root server because the files belong to the pod's fsGroup.
    expect(pod.securityContext.fsGroup).toBe(pod.securityContext.runAsGroup);
  });

  test('mounts no secrets volume without secret files', () => {
    const pod = find(synth(), 'Deployment').spec.template.spec;
    expect(pod.volumes.map((v: { name: string }) => v.name)).toEqual(['tmp']);
    expect(pod.containers[0].volumeMounts.map((m: { name: string }) => m.name)).toEqual(['tmp']);
  });

  test('sets no tracing variable without tracing', () => {
    const pod = find(synth(), 'Deployment').spec.template.spec;
    for (const container of [...pod.containers, ...pod.initContainers]) {
      const names = (container.env as { name: string }[]).map((variable) => variable.name);
      expect(names.filter((name) => /^(OTEL_|K8S_)/.test(name))).toEqual([]);
    }
  });

  test('exports traces with tracing: the OTEL_* variables on the server and its init container', () => {
    const tracing = { otlpEndpoint: 'http://otel.observability.svc:4318', samplingRatio: 0.25 };
    const pod = find(synth({ instance: 'prod', tracing }), 'Deployment').spec.template.spec;
    for (const container of [...pod.containers, ...pod.initContainers]) {
      const env = container.env as { name: string; value?: string }[];
      expect(env.slice(-7).map((variable) => variable.name)).toEqual([
        'K8S_NAMESPACE_NAME',
        'K8S_POD_NAME',
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        'OTEL_SERVICE_NAME',
        'OTEL_TRACES_SAMPLER',
        'OTEL_TRACES_SAMPLER_ARG',
        'OTEL_RESOURCE_ATTRIBUTES',
      ]);
      expect(env).toContainEqual({ name: 'OTEL_SERVICE_NAME', value: 'prod-server' });
      expect(env).toContainEqual({ name: 'OTEL_TRACES_SAMPLER_ARG', value: '0.25' });
      expect(env).toContainEqual({
        name: 'OTEL_RESOURCE_ATTRIBUTES',
        value: 'k8s.namespace.name=$(K8S_NAMESPACE_NAME),k8s.pod.name=$(K8S_POD_NAME),service.version=1.2.3',
      });
    }
  });

  test('waits in a preStop hook while the endpoint is removed, before the server gets SIGTERM', () => {
    expect(find(synth(), 'Deployment').spec.template.spec.containers[0].lifecycle).toEqual({
      preStop: { exec: { command: ['sleep', '10'] } },
    });
  });

  test('gives the pod time for the preStop hook, the shutdown delay and the drain, with a margin', () => {
    const pod = find(synth(), 'Deployment').spec.template.spec;
    const env = Object.fromEntries(
      (pod.containers[0].env as { name: string; value?: string }[]).map((entry) => [entry.name, entry.value]),
    );
    const preStopSeconds = Number(pod.containers[0].lifecycle.preStop.exec.command[1]);
    const needed = preStopSeconds + Number(env.SHUTDOWN_DELAY_SECONDS) + Number(env.SHUTDOWN_DRAIN_SECONDS);
    expect(pod.terminationGracePeriodSeconds).toBe(needed + 10);
  });

  test.each([
    [{ name: 'MCP' }, /`name` must be a DNS label/],
    [
      { instance: 'Prod' },
      /`instance` must make `<instance>-server` a DNS label .* \(got "Prod"\); or set `name`/,
    ],
    [{ image: 'ghcr.io/example/server' }, /`image` must be pinned by a tag or digest/],
    [{ replicas: 0 }, /`replicas` must be a whole number of at least 1 \(got 0\)/],
    [
      { replicas: 3, maxReplicas: 2 },
      /`maxReplicas` must be a whole number of at least replicas \(3\) \(got 2\)/,
    ],
    [
      { targetCpuUtilizationPercent: 5 },
      /`targetCpuUtilizationPercent` must be a whole number from 10 to 100/,
    ],
    [
      { replicas: 2, minAvailable: 2 },
      /`minAvailable` must be below replicas \(2\), or node drains could never evict a pod/,
    ],
    [{ port: 80 }, /`port` must be an unprivileged port between 1024 and 65535 \(got 80\)/],
    [{ cpuRequest: 'lots' }, /`cpuRequest` must be a Kubernetes quantity/],
    [{ memoryLimit: '1 GB' }, /`memoryLimit` must be a Kubernetes quantity/],
    [{ memoryRequest: '1Gi', memoryLimit: '512Mi' }, /`memoryRequest` must not exceed memoryLimit/],
    [{ cpuRequest: '2', cpuLimit: '1' }, /`cpuRequest` must not exceed cpuLimit/],
    [{ env: { 'BAD-NAME': 'x' } }, /`env.BAD-NAME` must be a valid variable name/],
    [{ env: { PORT: '1' } }, /`env.PORT` must not be set: the construct manages it/],
    [{ env: { API_TOKEN: 'abc' } }, /`env.API_TOKEN` must not carry a secret literally/],
    [
      { env: { DATABASE_URL: 'postgres://mcp:hunter2@db:5432/mcp' } },
      /`env.DATABASE_URL` must not carry credentials in a URL \(got "postgres:\/\/\*\*\*@db:5432\/mcp"\)/,
    ],
    [
      { referencedEnv: [{ name: 'REDIS_URL', value: 'rediss://:hunter2@cache:6379' }] },
      /`referencedEnv.REDIS_URL` must come from a Secret \(valueFrom\): the URL carries credentials \(got "rediss:\/\/\*\*\*@cache:6379"\)/,
    ],
    [
      { referencedEnv: [{ name: 'PGPASSWORD', value: 'hunter2' }] },
      /`referencedEnv.PGPASSWORD` must come from a Secret/,
    ],
    [{ caBundleConfigMap: 'Bad_Name' }, /`caBundleConfigMap` must be the name of a ConfigMap/],
    [
      { secretFiles: [{ variable: 'PG-PASSWORD', secretName: 'db', key: 'password' }] },
      /`secretFiles` must contain valid variable names \(got "PG-PASSWORD"\)/,
    ],
    [
      {
        secretFiles: [
          { variable: 'PGPASSWORD', secretName: 'db', key: 'password' },
          { variable: 'PGPASSWORD', secretName: 'other', key: 'password' },
        ],
      },
      /`secretFiles.PGPASSWORD` must appear once/,
    ],
    [
      {
        secretFiles: [{ variable: 'PGPASSWORD', secretName: 'db', key: 'password' }],
        referencedEnv: [{ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
      },
      /`secretFiles.PGPASSWORD` must not also be set as PGPASSWORD in env or referencedEnv/,
    ],
    [
      {
        secretFiles: [{ variable: 'REDIS_PASSWORD', secretName: 'cache', key: 'password' }],
        referencedEnv: [
          { name: 'REDIS_PASSWORD_FILE', valueFrom: { configMapKeyRef: { name: 'paths', key: 'redis' } } },
        ],
      },
      /`secretFiles.REDIS_PASSWORD` must not also be set as REDIS_PASSWORD_FILE in env or referencedEnv/,
    ],
    [
      { secretFiles: [{ variable: 'PGPASSWORD', secretName: 'Bad_Secret', key: 'password' }] },
      /`secretFiles.PGPASSWORD.secretName` must be a lowercase DNS name of at most 253 characters \(got "Bad_Secret"\)/,
    ],
    [
      { secretFiles: [{ variable: 'PGPASSWORD', secretName: 'db', key: 'pass word' }] },
      /`secretFiles.PGPASSWORD.key` must be a Secret key of at most 253 characters \(got "pass word"\)/,
    ],
    [
      { secretFiles: [{ variable: 'PORT', secretName: 'db', key: 'port' }] },
      /`secretFiles.PORT` must not be set: the construct manages it/,
    ],
    [
      { tracing: { otlpEndpoint: 'http://otel.o.svc:4318' }, env: { OTEL_SERVICE_NAME: 'x' } },
      /`env.OTEL_SERVICE_NAME` must not be set together with `tracing`, which sets it \(got "OTEL_SERVICE_NAME"\); remove it/,
    ],
    [
      {
        tracing: { otlpEndpoint: 'http://otel.o.svc:4318' },
        referencedEnv: [{ name: 'K8S_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } }],
      },
      /`referencedEnv.K8S_POD_NAME` must not be set together with `tracing`/,
    ],
    [
      { tracing: { otlpEndpoint: 'otel:4318' } },
      /`tracing.otlpEndpoint` must be an absolute http or https URL/,
    ],
    [{ image: 'ghcr.io/example/server:latest' }, /`image` must not use the mutable tag "latest"/],
    [{ publicUrl: 'https://10.0.0.1' }, /`publicUrl` must name a DNS host, not an IP address/],
    [{ publicUrl: '' }, /`publicUrl` must be an absolute URL/],
  ])('rejects %j', (props, expected) => {
    expect(() => synth(props as Partial<McpServerWorkloadProps>)).toThrow(expected);
    // No message echoes a password it refuses.
    expect(() => synth(props as Partial<McpServerWorkloadProps>)).not.toThrow(/hunter2/);
  });

  test('accepts a URL without a password literally (IAM auth, a socket path)', () => {
    expect(() =>
      synth({ env: { DATABASE_URL: 'postgres://mcp@db:5432/mcp?sslmode=verify-full' } }),
    ).not.toThrow();
  });

  test('fails with a ValidationError naming `image` when it is missing (plain JavaScript)', () => {
    const chart = new Chart(Testing.app(), 'test');
    expect(() => new McpServerWorkload(chart, 'Server', {} as unknown as McpServerWorkloadProps)).toThrow(
      /McpServerWorkload: `image` is required: pass a container image pinned by tag or digest/,
    );
  });
});

describe('quantityToBytes', () => {
  test('reads binary and decimal suffixes', () => {
    expect(quantityToBytes('512Mi')).toBe(512 * 1024 * 1024);
    expect(quantityToBytes('1G')).toBe(1e9);
    expect(quantityToBytes('1024')).toBe(1024);
  });
});
