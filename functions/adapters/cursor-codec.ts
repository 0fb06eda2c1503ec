import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CursorCodec } from '../app/ports';
import { ValidationError } from '../domain/errors';

/** Cursors are signed so a client can pass them back but not forge a position in someone else's list. */
export class HmacCursorCodec implements CursorCodec {
  constructor(private readonly secret: string) {}

  encode(payload: Record<string, unknown>): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  decode(cursor: string): Record<string, unknown> {
    const [body, signature, ...rest] = cursor.split('.');
    if (body && signature && rest.length === 0) {
      const expected = Buffer.from(this.sign(body));
      const given = Buffer.from(signature);
      if (expected.length === given.length && timingSafeEqual(expected, given)) {
        const payload: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
        if (payload && typeof payload === 'object') return payload as Record<string, unknown>;
      }
    }
    throw new ValidationError('The cursor is not valid', { cursor: 'is not a cursor this API issued' });
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(`cursor:${body}`).digest('base64url');
  }
}
