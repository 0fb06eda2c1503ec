export { type LocalS3, type LocalS3Options, startLocalS3 } from './server';

/**
 * The stack's checkpoint bucket, as the local S3 endpoint serves it (in `{dataDir}/s3/`). Here,
 * not in runtime.ts, so `npm run audit:verify` finds it without loading the runtime.
 */
export const LOCAL_AUDIT_BUCKET = 'tollgate-audit';
/** The local S3 endpoint's bucket for audit exports (the stack's AuditExports bucket in AWS). */
export const LOCAL_EXPORTS_BUCKET = 'tollgate-exports';
