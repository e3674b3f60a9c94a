import { Testing } from 'cdk8s';
import { EnvironmentChart } from '../../stacks/environment-chart';
import { awsSpec, inClusterSpec } from '../helpers/fixtures';

describe('EnvironmentChart', () => {
  test('puts every object in the environment namespace with the environment label', () => {
    const objects = Testing.synth(
      new EnvironmentChart(Testing.app(), inClusterSpec({ namespace: 'team-mcp' })),
    );
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      expect(object.metadata.namespace).toBe('team-mcp');
      expect(object.metadata.labels['mcpenv.dev/environment']).toBe('dev');
    }
  });

  test('runs the spec image with its replicas and public URL', () => {
    const objects = Testing.synth(new EnvironmentChart(Testing.app(), awsSpec({ replicas: 4 })));
    const deployment = objects.find((o) => o.kind === 'Deployment');
    expect(deployment?.spec.replicas).toBe(4);
    const container = deployment?.spec.template.spec.containers[0];
    expect(container.image).toBe('ghcr.io/example/server:1.2.3');
    expect(container.env).toContainEqual({ name: 'PUBLIC_URL', value: 'https://mcp.example.com' });
  });
});
