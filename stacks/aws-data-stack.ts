import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { McpEnvironmentSpec } from '../constructs/spec';
import { DataEncryptionKey } from '../constructs/tf/data-encryption-key';

/** Stack id; also its folder under `<out>/terraform/stacks/`. A public contract: never rename. */
export const AWS_DATA_STACK_ID = 'aws-data';

export interface AwsDataStackProps {
  readonly spec: McpEnvironmentSpec;
  readonly region: string;
}

/** The AWS-managed data tier of an environment. */
export class AwsDataStack extends TerraformStack {
  readonly encryptionKey: DataEncryptionKey;

  constructor(scope: Construct, props: AwsDataStackProps) {
    super(scope, AWS_DATA_STACK_ID);
    const { spec, region } = props;

    // cdktf's implicit local backend records the absolute working directory, which breaks
    // byte-identical output across checkouts; a relative path keeps state in the stack folder,
    // which `mcpenv synth` carries over from one synth to the next.
    new LocalBackend(this, { path: `terraform.${AWS_DATA_STACK_ID}.tfstate` });

    new AwsProvider(this, 'aws', {
      region,
      defaultTags: [
        {
          tags: {
            'mcpenv:environment': spec.name,
            'managed-by': 'mcpenv',
          },
        },
      ],
    });

    this.encryptionKey = new DataEncryptionKey(this, 'DataKey', {
      alias: `mcpenv/${spec.name}/data`,
      description: `mcpenv ${spec.name}: data tier encryption`,
    });

    new TerraformOutput(this, 'data_kms_key_arn', {
      value: this.encryptionKey.key.arn,
      description: 'ARN of the KMS key that encrypts the data tier.',
    });
  }
}
