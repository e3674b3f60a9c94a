/**
 * `mcpenv/aws`: the Terraform (cdktf) side of mcpenv, the AWS data tier. Every cdktf import
 * lives under this folder, so moving to another CDK for Terraform distribution changes imports
 * here only. It needs the optional peer `@cdktf/provider-aws`; the first import below says how
 * to add it when it is missing. (`./internal` holds shared checks and is not public.)
 */
import '../peers/provider-aws';

export { DataEncryptionKey, type DataEncryptionKeyProps } from './data-encryption-key';
export {
  type CloudWatchFlowLogsOptions,
  DataNetwork,
  type DataNetworkProps,
  type ExistingNetworkOptions,
  FlowLogs,
  type FlowLogTarget,
  type IDataNetwork,
  Network,
  type NetworkBinding,
  type NewNetworkOptions,
  type S3FlowLogsOptions,
} from './network';
export { RdsPostgres, type RdsPostgresProps } from './postgres';
export { ElastiCacheRedis, type ElastiCacheRedisProps } from './redis';
