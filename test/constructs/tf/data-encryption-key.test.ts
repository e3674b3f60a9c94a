import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Testing } from 'cdktf';
import { DataEncryptionKey, type DataEncryptionKeyProps } from '../../../constructs/tf/data-encryption-key';

const synth = (props: DataEncryptionKeyProps = {}) =>
  Testing.synthScope((scope) => {
    new DataEncryptionKey(scope, 'Key', props);
  });

describe('DataEncryptionKey', () => {
  test('creates a rotating symmetric key with a 30-day deletion window', () => {
    const json = synth();
    expect(json).toHaveResourceWithProperties(KmsKey, {
      enable_key_rotation: true,
      deletion_window_in_days: 30,
      key_usage: 'ENCRYPT_DECRYPT',
      customer_master_key_spec: 'SYMMETRIC_DEFAULT',
    });
    expect(json).not.toHaveResource(KmsAlias);
  });

  test('adds an alias pointing at the key when asked', () => {
    const json = synth({ alias: 'mcpenv/prod/data' });
    const { resource } = JSON.parse(json);
    const [keyId] = Object.keys(resource.aws_kms_key);
    expect(json).toHaveResourceWithProperties(KmsAlias, {
      name: 'alias/mcpenv/prod/data',
      target_key_id: `\${aws_kms_key.${keyId}.key_id}`,
    });
  });

  test('rejects a deletion window outside 7..30 days', () => {
    expect(() => synth({ deletionWindowDays: 3 })).toThrow(
      /`deletionWindowDays` must be a whole number from 7 to 30 \(got 3\)/,
    );
  });

  test('rejects an alias with characters KMS does not allow', () => {
    expect(() => synth({ alias: 'alias/my key' })).toThrow(
      /`alias` must contain only letters.*leave out the "alias\/" prefix/,
    );
  });

  test('rejects two keys with one alias in a stack, naming both', () => {
    expect(() =>
      Testing.synthScope((scope) => {
        new DataEncryptionKey(scope, 'Data', { alias: 'mcpenv/prod/data' });
        new DataEncryptionKey(scope, 'Logs', { alias: 'mcpenv/prod/data' });
      }),
    ).toThrow(
      /^DataEncryptionKey: KMS alias "alias\/mcpenv\/prod\/data" is used by both `[^`]*\/Data` and `[^`]*\/Logs`: .*; give one of them a different `alias`$/,
    );
  });

  test('rejects an alias in the AWS-reserved namespace', () => {
    expect(() => synth({ alias: 'aws/rds' })).toThrow(/`alias` must not start with "aws\/"/);
  });
});
