/**
 * The Terraform (cdktf) side of mcpenv: the AWS data tier. Every cdktf import lives under this
 * folder, so moving to another CDK for Terraform distribution changes imports here only.
 * (`./internal` holds shared checks and is not part of the public API.)
 */
export * from './data-encryption-key';
export * from './network';
export * from './postgres';
export * from './redis';
