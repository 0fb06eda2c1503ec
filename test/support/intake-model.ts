import { mayFileFor, seedIdentities, seedSystems } from './seed';

/**
 * An independent model of the spec's intake rules, written from the contract rather than from the
 * code: what `POST /requests` must answer for a body filed by `callerId` against the demo seed.
 * `created` means 201, `invalid` a 400, `forbidden` a 403 (a well-formed request for someone the
 * caller may not file for).
 */
export type Verdict = 'created' | 'invalid' | 'forbidden';

const URGENCIES = ['low', 'normal', 'high', 'critical'];
const SUPPORT_CATEGORIES = ['hardware', 'software', 'network', 'account', 'other'];

/** Every field either kind of intake body may carry. */
export const INTAKE_KEYS = [
  'type',
  'beneficiary',
  'system',
  'entitlement',
  'justification',
  'urgency',
  'duration',
  'evidence',
  'category',
  'description',
] as const;
const ACCESS_KEYS: readonly string[] = INTAKE_KEYS.filter(
  (key) => key !== 'category' && key !== 'description',
);
const SUPPORT_KEYS: readonly string[] = ['type', 'category', 'urgency', 'description'];
const YEAR_SECONDS = 366 * 24 * 3600;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const textBetween = (value: unknown, min: number, max: number) =>
  typeof value === 'string' && value.trim().length >= min && value.trim().length <= max;

/** ISO 8601 in weeks, days, hours, minutes, seconds; months and years are refused (their length varies). */
export function durationSeconds(text: string): number | null {
  const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return null;
  const [w, d, h, m, s] = match.slice(1).map((part) => Number(part ?? 0)) as number[];
  const total = ((((w ?? 0) * 7 + (d ?? 0)) * 24 + (h ?? 0)) * 60 + (m ?? 0)) * 60 + (s ?? 0);
  return total > 0 ? total : null;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 2000) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export function expectedVerdict(callerId: string, body: unknown): Verdict {
  if (!isObject(body)) return 'invalid';
  if (body.type === 'support') {
    const ok =
      Object.keys(body).every((key) => SUPPORT_KEYS.includes(key)) &&
      SUPPORT_CATEGORIES.includes(body.category as string) &&
      URGENCIES.includes(body.urgency as string) &&
      textBetween(body.description, 10, 4000);
    return ok ? 'created' : 'invalid';
  }
  if (body.type !== 'access') return 'invalid';
  if (!Object.keys(body).every((key) => ACCESS_KEYS.includes(key))) return 'invalid';
  if (!textBetween(body.justification, 10, 2000)) return 'invalid';
  if (body.urgency !== undefined && !URGENCIES.includes(body.urgency as string)) return 'invalid';
  if (
    body.evidence !== undefined &&
    !(Array.isArray(body.evidence) && body.evidence.length <= 10 && body.evidence.every(isHttpUrl))
  ) {
    return 'invalid';
  }
  let requested: number | null = null;
  if (body.duration !== undefined) {
    requested = typeof body.duration === 'string' ? durationSeconds(body.duration) : null;
    if (requested === null || requested > YEAR_SECONDS) return 'invalid';
  }
  const system = seedSystems.find((candidate) => candidate.id === body.system);
  const entitlement = system?.entitlements.find((candidate) => candidate.id === body.entitlement);
  if (!entitlement) return 'invalid';
  if (entitlement.maxDuration) {
    const max = durationSeconds(entitlement.maxDuration) ?? 0;
    // Admin entitlements are time-bound by default: no duration means the maximum.
    if (requested === null && entitlement.class !== 'admin') return 'invalid';
    if (requested !== null && requested > max) return 'invalid';
  }
  if (body.beneficiary !== undefined && typeof body.beneficiary !== 'string') return 'invalid';
  const beneficiaryId =
    typeof body.beneficiary === 'string' ? body.beneficiary.trim().toLowerCase() : callerId;
  const beneficiary = seedIdentities.find((candidate) => candidate.id === beneficiaryId);
  if (beneficiary?.status !== 'active') return 'invalid';
  return mayFileFor(callerId, beneficiary) ? 'created' : 'forbidden';
}
