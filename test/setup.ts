import { Testing } from 'cdktf';
// Brings cdktf's declarations of its Jest matchers into the type-check.
import 'cdktf/lib/testing/adapters/jest';

// cdktf's matchers: toHaveResource, toHaveResourceWithProperties, toHaveProviderWithProperties, ...
Testing.setupJest();
