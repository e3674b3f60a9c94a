// Imported first by every module that loads @cdktf/provider-aws, so a missing peer is reported
// by name instead of as a bare "Cannot find module".
import { requirePeer } from './require-peer';

requirePeer('@cdktf/provider-aws', 'the AWS data tier (mcpenv/aws, and `mcpenv synth` of an aws dataTier)');
