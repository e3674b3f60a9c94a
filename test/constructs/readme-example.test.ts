import { App, Chart, Testing } from 'cdk8s';
// The package root, as an org imports it (`from 'mcpenv'`).
import { Database, McpEnvironment, Routing } from '../../constructs';

describe('the README example', () => {
  test('synthesizes an environment in an org’s own chart from the package root exports', () => {
    const app = new App({ outdir: Testing.app().outdir });
    const chart = new Chart(app, 'mcp', { namespace: 'team-mcp' });
    new McpEnvironment(chart, 'Mcp', {
      image: 'ghcr.io/acme/mcp-server:2.1.0',
      publicUrl: 'https://mcp.acme.dev',
      database: Database.external({ connectionSecret: 'mcp-db', cidrs: ['10.20.0.0/16'] }),
      routing: Routing.gatewayApi({ gateway: { name: 'public', namespace: 'gateways' } }),
      oauth: { issuer: 'https://login.acme.dev/', jwksUrl: 'https://login.acme.dev/jwks.json' },
    });
    const objects = Testing.synth(chart);
    expect(objects.find((o) => o.kind === 'HTTPRoute')?.spec.hostnames).toEqual(['mcp.acme.dev']);
    expect(objects.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'mcp-redis')).toBe(true);
  });
});
