import { randomBytes } from 'node:crypto';
import { ulid } from 'ulid';
import type { Clock, Ids, Secrets } from '../app/ports';

export const systemClock: Clock = { now: () => new Date() };

export const ulidIds: Ids = { ticketId: () => ulid(), jobId: () => ulid() };

export const randomSecrets: Secrets = { linkToken: () => randomBytes(32).toString('base64url') };
