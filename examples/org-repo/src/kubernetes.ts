/**
 * The org's own chart: two MCP environments for two teams in one shared namespace, next to an
 * object of the org's own. `cdk8s synth` runs this file (cdk8s.yaml).
 */
import { ApiObject, App, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { Cache, Database, McpEnvironment } from 'mcpenv';

class TeamToolsChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { namespace: 'team-tools', disableResourceNameHashes: true });

    // The org's own object, with a name of its own choosing.
    new ApiObject(this, 'PlatformInfo', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'platform-info' },
      data: { owner: 'platform-team', 'cost-center': 'cc-4711' },
    });

    for (const team of ['search', 'billing']) {
      new McpEnvironment(this, `${team}-mcp`, {
        instance: `${team}-mcp`,
        image: 'ghcr.io/acme/team-memory-mcp:1.4.2',
        publicUrl: `https://${team}-mcp.tools.acme.example`,
        replicas: 2,
        database: Database.inCluster({ credentialsSecret: `${team}-mcp-postgres`, storageSize: '20Gi' }),
        cache: Cache.inCluster({ passwordSecret: `${team}-mcp-redis` }),
        monitoringLabels: { release: 'kube-prometheus-stack' },
      });
    }
  }
}

const app = new App();
new TeamToolsChart(app, 'team-tools');
app.synth();
