export { type OutboxMessage, readOutbox } from './outbox';
export { type LocalSes, type LocalSesOptions, startLocalSes } from './server';
