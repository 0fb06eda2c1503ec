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

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const textBetween = (value: unknown, min: number, max: number) =>
  typeof value === 'string' && value.trim().length >= min && value.trim().length <= max;

/**
 * Where an ISO 8601 duration ends when started at `from` (epoch ms): years and months on the UTC
 * calendar, a day of the month past the end of the target month falling back to its last day; the
 * rest as exact time. Null for what is not a duration, or a zero one.
 */
export function durationEnd(text: string, from: number): number | null {
  const match = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(
    text,
  );
  if (!match || text === 'P' || text.endsWith('T')) return null;
  const [y, mo, w, d, h, mi, s] = match.slice(1).map((part) => Number(part ?? 0)) as number[];
  if ([y, mo, w, d, h, mi, s].every((part) => !part)) return null;
  const start = new Date(from);
  const monthIndex = start.getUTCFullYear() * 12 + start.getUTCMonth() + (y ?? 0) * 12 + (mo ?? 0);
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex % 12;
  const daysInMonth = 32 - new Date(Date.UTC(year, month, 32)).getUTCDate();
  const day = Math.min(start.getUTCDate(), daysInMonth);
  const timeOfDay = from - Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  const exact = (((w ?? 0) * 7 + (d ?? 0)) * 86_400 + (h ?? 0) * 3600 + (mi ?? 0) * 60 + (s ?? 0)) * 1000;
  return Date.UTC(year, month, day) + timeOfDay + exact;
}

/** The default cap (and duration) of admin entitlements without a maxDuration: ADMIN_DEFAULT_MAX_DURATION. */
const ADMIN_DEFAULT_MAX_DURATION = 'P7D';

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
  // Durations compare by where they end when started now (the server's now is a few ms later:
  // only a request filed across a month's last midnight could tell the two apart).
  const now = Date.now();
  let requestedEnd: number | null = null;
  if (body.duration !== undefined) {
    requestedEnd = typeof body.duration === 'string' ? durationEnd(body.duration, now) : null;
    if (requestedEnd === null || requestedEnd > (durationEnd('P1Y', now) ?? 0)) return 'invalid';
  }
  const system = seedSystems.find((candidate) => candidate.id === body.system);
  const entitlement = system?.entitlements.find((candidate) => candidate.id === body.entitlement);
  if (!entitlement) return 'invalid';
  const cap =
    entitlement.maxDuration ?? (entitlement.class === 'admin' ? ADMIN_DEFAULT_MAX_DURATION : undefined);
  if (cap) {
    // Admin entitlements are time-bound by default: no duration means the maximum.
    if (requestedEnd === null && entitlement.class !== 'admin') return 'invalid';
    if (requestedEnd !== null && requestedEnd > (durationEnd(cap, now) ?? 0)) return 'invalid';
  }
  if (body.beneficiary !== undefined && typeof body.beneficiary !== 'string') return 'invalid';
  const beneficiaryId =
    typeof body.beneficiary === 'string' ? body.beneficiary.trim().toLowerCase() : callerId;
  const beneficiary = seedIdentities.find((candidate) => candidate.id === beneficiaryId);
  if (beneficiary?.status !== 'active') return 'invalid';
  return mayFileFor(callerId, beneficiary) ? 'created' : 'forbidden';
}
