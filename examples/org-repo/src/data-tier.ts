/**
 * The org's own cdktf stack: mcpenv's AWS data tier (Postgres on RDS, Redis on ElastiCache,
 * encrypted with one KMS key) inside the VPC the org already runs. `cdktf synth` runs this file.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { DataEncryptionKey, DataNetwork, ElastiCacheRedis, Network, RdsPostgres } from 'mcpenv/aws';

class DataTierStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new S3Backend(this, {
      bucket: 'acme-terraform-state',
      key: 'team-tools/data-tier.tfstate',
      region: 'eu-west-1',
      encrypt: true,
    });
    new AwsProvider(this, 'aws', { region: 'eu-west-1' });

    const encryptionKey = new DataEncryptionKey(this, 'DataKey', {
      alias: 'acme/team-tools/data',
      description: 'team-tools MCP data tier',
    });
    const network = new DataNetwork(this, 'Network', {
      network: Network.existing({
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        privateSubnetIds: ['subnet-0aa11bb22cc33dd44', 'subnet-0ee55ff66aa77bb88'],
        clientSecurityGroupIds: ['sg-0123456789abcdef0'],
      }),
    });
    const postgres = new RdsPostgres(this, 'Postgres', {
      name: 'team-tools',
      network,
      encryptionKey,
      production: true,
      instanceClass: 'db.t4g.medium',
    });
    const redis = new ElastiCacheRedis(this, 'Redis', { name: 'team-tools', network, encryptionKey });

    new TerraformOutput(this, 'postgres_address', { value: postgres.endpointAddress });
    new TerraformOutput(this, 'redis_address', { value: redis.primaryEndpointAddress });
  }
}

const app = new App();
new DataTierStack(app, 'data-tier');
app.synth();
