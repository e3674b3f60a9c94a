import * as fs from 'node:fs';
import * as path from 'node:path';
import { OPTIONAL_PEERS, requirePeer } from '../../../constructs/peers/require-peer';

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

describe('the optional peers', () => {
  test('are the optional providers package.json declares, with its ranges, so the install hint never drifts', () => {
    const optionalProviders = Object.fromEntries(
      Object.entries(manifest.peerDependencies).filter(
        ([name]) => manifest.peerDependenciesMeta[name]?.optional && name.startsWith('@cdktf/'),
      ),
    );
    expect(OPTIONAL_PEERS).toEqual(optionalProviders);
  });

  test('pass the check when installed, as they are in this repository', () => {
    for (const name of Object.keys(OPTIONAL_PEERS) as (keyof typeof OPTIONAL_PEERS)[]) {
      expect(() => requirePeer(name, 'a test')).not.toThrow();
    }
  });
});
