import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Construct } from 'constructs';
import { invalidProp } from '../errors';
import { claimName } from './internal';

export interface DataEncryptionKeyProps {
  /**
   * Alias of the key, without the `alias/` prefix; unique in the stack's account and region.
   * @default - no alias
   */
  readonly alias?: string;
  /**
   * What the key protects, shown in the AWS console.
   * @default 'mcpenv data tier encryption key'
   */
  readonly description?: string;
  /**
   * Days AWS waits before deleting the key once deletion is scheduled (7 to 30).
   * @default 30
   */
  readonly deletionWindowDays?: number;
}

/**
 * A customer-managed KMS key with yearly automatic rotation, for encrypting the data tier
 * (RDS storage, ElastiCache at rest, Secrets Manager secrets).
 */
export class DataEncryptionKey extends Construct {
  /** The KMS key (the construct's `Resource`). */
  readonly key: KmsKey;
  /** The alias, when one was requested. */
  readonly alias?: KmsAlias;

  constructor(scope: Construct, id: string, props: DataEncryptionKeyProps = {}) {
    super(scope, id);
    const deletionWindowDays = props.deletionWindowDays ?? 30;
    if (!Number.isInteger(deletionWindowDays) || deletionWindowDays < 7 || deletionWindowDays > 30) {
      throw invalidProp(
        'DataEncryptionKey',
        'deletionWindowDays',
        'be a whole number from 7 to 30',
        deletionWindowDays,
      );
    }
    if (props.alias !== undefined && !/^[a-zA-Z0-9/_-]{1,250}$/.test(props.alias)) {
      throw invalidProp(
        'DataEncryptionKey',
        'alias',
        'contain only letters, digits, "/", "_" and "-"',
        props.alias,
        'leave out the "alias/" prefix',
      );
    }
    if (props.alias?.startsWith('aws/')) {
      throw invalidProp('DataEncryptionKey', 'alias', 'not start with "aws/" (reserved by AWS)', props.alias);
    }

    this.key = new KmsKey(this, 'Resource', {
      description: props.description ?? 'mcpenv data tier encryption key',
      enableKeyRotation: true,
      deletionWindowInDays: deletionWindowDays,
      keyUsage: 'ENCRYPT_DECRYPT',
      customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    });
    if (props.alias !== undefined) {
      claimName(this, {
        construct: 'DataEncryptionKey',
        kind: 'KMS alias',
        name: `alias/${props.alias}`,
        consequence: 'an AWS account and region hold one key per alias, so the second would fail to create',
        fix: 'give one of them a different `alias`',
      });
      this.alias = new KmsAlias(this, 'Alias', {
        name: `alias/${props.alias}`,
        targetKeyId: this.key.keyId,
      });
    }
  }
}
