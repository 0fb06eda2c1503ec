/** How every Tollgate function is sized: the stack deploys it, and the bench prices it. */
export const LAMBDA_MEMORY_MB = 1024;
