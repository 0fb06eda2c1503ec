import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors';
import { requestBodySchema } from '../../../functions/domain/intake';
import { parseOrThrow } from '../../../functions/domain/validation';

const valid = {
  type: 'access',
  beneficiary: 'SVC:Billing-Export',
  system: 'payroll',
  entitlement: 'payroll-read',
  justification: 'Monthly export job reads payroll totals',
  urgency: 'normal',
  duration: 'P30D',
  evidence: ['https://jira.example.com/browse/FIN-1234'],
};

function fieldsOf(body: unknown): Record<string, string> {
  try {
    parseOrThrow(requestBodySchema, body, 'request');
  } catch (error) {
    if (error instanceof ValidationError) return error.fields;
    throw error;
  }
  return {};
}

describe('intake validation', () => {
  it('accepts the spec’s example body and lowercases the beneficiary', () => {
    const parsed = parseOrThrow(requestBodySchema, valid, 'request');
    expect(parsed).toMatchObject({ type: 'access', beneficiary: 'svc:billing-export' });
  });

  it('names every missing field', () => {
    expect(fieldsOf({ type: 'access' })).toEqual({
      system: 'is required',
      entitlement: 'is required',
      justification: 'is required',
    });
  });

  it('points at the bad evidence item by index', () => {
    expect(
      fieldsOf({ ...valid, evidence: ['https://ok.example.com', 'javascript:alert(1)'] }),
    ).toHaveProperty('evidence.1');
  });

  it('refuses unknown keys, including __proto__', () => {
    expect(
      fieldsOf(
        JSON.parse(
          '{"type":"support","category":"network","urgency":"low","description":"VPN drops every hour","__proto__":{}}',
        ),
      ),
    ).toEqual(
      // An own `__proto__` key: the literal `{ __proto__: '...' }` would be an empty object.
      Object.fromEntries([['__proto__', 'is not a known field']]),
    );
  });

  it('asks for the type when it is missing or unknown', () => {
    expect(Object.keys(fieldsOf({ ...valid, type: 'other' }))).toEqual(['type']);
  });

  it('defaults urgency to normal and evidence to none', () => {
    const { urgency, evidence, ...rest } = valid;
    expect(parseOrThrow(requestBodySchema, rest, 'request')).toMatchObject({
      urgency: 'normal',
      evidence: [],
    });
  });
});
