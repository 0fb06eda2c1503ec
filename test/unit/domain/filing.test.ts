import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../../functions/domain/errors';
import { assertMayFileFor, mayFileFor } from '../../../functions/domain/filing';
import { person, serviceAccount } from './fixtures';

const lead = person('lead@x.com');
const dev = person('dev@x.com', { managerId: lead.id });
const peer = person('peer@x.com', { managerId: lead.id });
const robot = serviceAccount('svc:robot', dev.id);

describe('who may file for whom', () => {
  it('lets anyone file for themselves', () => {
    expect(mayFileFor(dev, dev)).toBe(true);
  });

  it('lets a manager file for a direct report', () => {
    expect(mayFileFor(lead, dev)).toBe(true);
  });

  it('lets an owner file for their service account', () => {
    expect(mayFileFor(dev, robot)).toBe(true);
  });

  it('refuses a peer, a report filing for their manager, and a non-owner filing for a service account', () => {
    expect(mayFileFor(peer, dev)).toBe(false);
    expect(mayFileFor(dev, lead)).toBe(false);
    expect(mayFileFor(lead, robot)).toBe(false);
  });

  it('explains a refusal with a forbidden error naming both parties', () => {
    expect(() => assertMayFileFor(peer, dev)).toThrow(ForbiddenError);
    expect(() => assertMayFileFor(peer, dev)).toThrow(/peer@x.com may not file for dev@x.com/);
  });
});
