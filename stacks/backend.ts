import { LocalBackend, S3Backend, type TerraformStack } from 'cdktf';
import type { McpEnvironmentSpec } from '../constructs/spec';

/**
 * Gives a stack its state backend. Every stack sets one explicitly: cdktf's implicit local
 * backend records the absolute working directory, which breaks byte-identical output.
 *
 * - `local`: `../<stack>/terraform.<stack>.tfstate`, relative to the stack folder, so that the
 *   same path also works from a sibling stack reading it as remote state; `mcpenv synth` carries
 *   state files over from one synth to the next.
 * - `s3`: one object per stack under the key prefix, encrypted, locked with an S3 lock file
 *   (`use_lockfile`, Terraform 1.10+), so no DynamoDB table is needed.
 */
export function configureBackend(stack: TerraformStack, spec: McpEnvironmentSpec, stackId: string): void {
  const backend = spec.terraformBackend ?? { kind: 'local' };
  if (backend.kind === 'local') {
    new LocalBackend(stack, { path: `../${stackId}/terraform.${stackId}.tfstate` });
    return;
  }
  const s3 = new S3Backend(stack, {
    bucket: backend.bucket,
    key: `${backend.keyPrefix ?? `mcpenv/${spec.name}`}/${stackId}.tfstate`,
    region: backend.region,
    encrypt: true,
    ...(backend.kmsKeyId !== undefined ? { kmsKeyId: backend.kmsKeyId } : {}),
  });
  // cdktf 0.21 predates S3 native locking; the attribute goes in as an override.
  s3.addOverride('use_lockfile', true);
}
