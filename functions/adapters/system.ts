import { ulid } from 'ulid';
import type { Clock, Ids } from '../app/ports';

export const systemClock: Clock = { now: () => new Date() };

export const ulidIds: Ids = { ticketId: () => ulid() };
