// Imported first by every module that loads @cdktf/provider-kubernetes, so a missing peer is
// reported by name instead of as a bare "Cannot find module".
import { requirePeer } from './require-peer';

requirePeer(
  '@cdktf/provider-kubernetes',
  'the Kubernetes Terraform stack (mcpenv/stacks, and `mcpenv synth`)',
);
