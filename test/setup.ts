import { Testing } from 'cdktf';
// Brings cdktf's declarations of its Jest matchers into the type-check.
import 'cdktf/lib/testing/adapters/jest';

// cdktf's matchers: toHaveResource, toHaveResourceWithProperties, toHaveProviderWithProperties, ...
Testing.setupJest();

// Buffers compare byte for byte in one call. Jest's generic equality walks them a byte at a time,
// seconds for the files of one synth output. (@types/jest 29.5 does not declare this Jest 29.4 API.)
type EqualityTester = (a: unknown, b: unknown) => boolean | undefined;
const bufferEquality: EqualityTester = (a, b) =>
  Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : undefined;
(expect as unknown as { addEqualityTesters(testers: EqualityTester[]): void }).addEqualityTesters([
  bufferEquality,
]);
