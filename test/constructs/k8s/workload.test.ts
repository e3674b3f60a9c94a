import { Chart, Testing } from 'cdk8s';
import { McpServerWorkload, type McpServerWorkloadProps } from '../../../constructs/k8s/workload';

function synth(props: Partial<McpServerWorkloadProps> = {}) {
  const chart = new Chart(Testing.app(), 'test');
  new McpServerWorkload(chart, 'Server', { image: 'ghcr.io/example/server:1.2.3', ...props });
  return Testing.synth(chart);
}

function deploymentOf(objects: ReturnType<typeof synth>) {
  const deployment = objects.find((o) => o.kind === 'Deployment');
  if (!deployment) throw new Error('no Deployment synthesized');
  return deployment;
}

describe('McpServerWorkload', () => {
  test('synthesizes a Deployment and a Service with stable names and shared selector labels', () => {
    const objects = synth({ instance: 'prod' });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Deployment/mcp-server',
      'Service/mcp-server',
    ]);
    const [deployment, service] = objects;
    expect(deployment.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'mcp-server',
      'app.kubernetes.io/instance': 'prod',
    });
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
  });

  test('hardens the pod to the restricted Pod Security Standard', () => {
    const pod = deploymentOf(synth()).spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  test('probes /healthz and /readyz, sets requests and limits, and rolls without losing capacity', () => {
    const deployment = deploymentOf(synth({ replicas: 3, cpuLimit: '2', memoryRequest: '256Mi' }));
    const container = deployment.spec.template.spec.containers[0];
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi' },
      limits: { cpu: '2', memory: '512Mi' },
    });
  });

  test('passes the listen address, the port and the public URL to the server', () => {
    const container = deploymentOf(
      synth({ port: 8080, publicUrl: 'https://mcp.example.com', env: { LOG_LEVEL: 'debug' } }),
    ).spec.template.spec.containers[0];
    expect(container.env).toEqual([
      { name: 'BIND_ADDRESS', value: '0.0.0.0' },
      { name: 'PORT', value: '8080' },
      { name: 'PUBLIC_URL', value: 'https://mcp.example.com' },
      { name: 'LOG_LEVEL', value: 'debug' },
    ]);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
  });

  test.each([
    [{ name: 'MCP' }, /`name` must be a DNS label/],
    [
      { image: 'ghcr.io/example/server' },
      /`image` must be pinned by a tag or digest \(got "ghcr.io\/example\/server"\)/,
    ],
    [{ replicas: 0 }, /`replicas` must be a whole number of at least 1 \(got 0\)/],
    [{ port: 80 }, /`port` must be an unprivileged port between 1024 and 65535 \(got 80\)/],
    [{ cpuRequest: 'lots' }, /`cpuRequest` must be a Kubernetes quantity/],
    [{ memoryLimit: '1 GB' }, /`memoryLimit` must be a Kubernetes quantity/],
    [{ env: { 'BAD-NAME': 'x' } }, /`env.BAD-NAME` must be a valid variable name/],
    [{ env: { PORT: '1' } }, /`env.PORT` must not be set: the construct manages it/],
  ])('rejects %j', (props, expected) => {
    expect(() => synth(props as Partial<McpServerWorkloadProps>)).toThrow(expected);
  });
});
