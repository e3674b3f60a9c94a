import * as path from 'node:path';
import { loadEnvironment } from '../../app/environments';
import { synthEnvironment } from '../../app/synth';
import { removeTempDirs, tempDir } from '../helpers/fixtures';
import { OfflineTerraform, type PlannedResource, type TerraformPlan } from '../helpers/terraform';

afterAll(removeTempDirs);

describe('the prod AWS data stack with the real terraform, offline', () => {
  let terraform: OfflineTerraform;
  let plan: TerraformPlan;
  const resources = (type: string): PlannedResource[] =>
    (plan.planned_values.root_module.resources ?? []).filter((resource) => resource.type === type);
  const only = (type: string): Record<string, unknown> => {
    const found = resources(type);
    expect(found).toHaveLength(1);
    return (found[0] as PlannedResource).values;
  };

  beforeAll(() => {
    const out = path.join(tempDir(), 'prod');
    synthEnvironment(loadEnvironment('prod'), { outDir: out });
    terraform = new OfflineTerraform(
      path.join(out, 'terraform', 'stacks', 'aws-data'),
      tempDir('mcpenv-tf-'),
      '5.100.0',
      {
        // The auth token is an input variable; a dummy value is enough to plan.
        TF_VAR_redis_prod_auth_token: 'plan-only-dummy-token-0123456789',
      },
    );
    terraform.run('init', '-input=false');
    terraform.run('plan', '-input=false', '-out=plan.tfplan', '-lock=false');
    plan = terraform.showPlan('plan.tfplan');
  }, 600_000);

  test('terraform validate passes', () => {
    expect(terraform.run('validate').stdout).toContain('Success! The configuration is valid.');
  });

  test('the plan only creates resources', () => {
    const actions = new Set(plan.resource_changes.flatMap((change) => change.change.actions));
    expect([...actions]).toEqual(['create']);
  });

  test('RDS is encrypted with the data key, private, backed up and protected', () => {
    const db = only('aws_db_instance');
    expect(db).toMatchObject({
      engine: 'postgres',
      engine_version: '16',
      storage_encrypted: true,
      publicly_accessible: false,
      deletion_protection: true,
      skip_final_snapshot: false,
      manage_master_user_password: true,
      performance_insights_enabled: true,
    });
    expect(db.backup_retention_period).toBeGreaterThanOrEqual(7);
    expect(db.password ?? null).toBeNull();
  });

  test('RDS forces TLS through its parameter group', () => {
    const group = only('aws_db_parameter_group');
    expect(group.parameter).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'rds.force_ssl', value: '1' })]),
    );
  });

  test('ElastiCache encrypts in transit and at rest and fails over across zones', () => {
    const group = only('aws_elasticache_replication_group');
    expect(group).toMatchObject({
      engine: 'redis',
      transit_encryption_enabled: true,
      automatic_failover_enabled: true,
      multi_az_enabled: true,
    });
    // A string attribute in hashicorp/aws 5.100.
    expect(String(group.at_rest_encryption_enabled)).toBe('true');
  });

  test('no security group rule is open to the internet on 5432 or 6379', () => {
    const rules = resources('aws_vpc_security_group_ingress_rule');
    expect(rules.map((rule) => rule.values.from_port).sort()).toEqual(expect.arrayContaining([5432, 6379]));
    for (const rule of rules) {
      expect({
        port: rule.values.from_port,
        cidr: rule.values.cidr_ipv4 ?? null,
        ipv6: rule.values.cidr_ipv6 ?? null,
      }).toEqual({
        port: rule.values.from_port,
        cidr: null,
        ipv6: null,
      });
      expect(rule.values.to_port).toBe(rule.values.from_port);
    }
    for (const group of resources('aws_security_group')) {
      for (const ingress of (group.values.ingress as { cidr_blocks?: string[] }[] | undefined) ?? []) {
        expect(ingress.cidr_blocks ?? []).not.toContain('0.0.0.0/0');
      }
    }
  });

  test('the KMS key rotates and the subnets are private', () => {
    expect(only('aws_kms_key')).toMatchObject({ enable_key_rotation: true });
    for (const subnet of resources('aws_subnet')) expect(subnet.values.map_public_ip_on_launch).toBe(false);
  });
});
