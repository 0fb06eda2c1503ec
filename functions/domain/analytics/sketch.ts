import { DDSketch } from '@datadog/sketches-js';

/** Quantiles within 1% of the true value, relative: what every median and p90 of a report promises. */
export const RELATIVE_ACCURACY = 0.01;

/**
 * A DDSketch as a rollup stores it: its non-empty bins (keys and counts, keys ascending), with the
 * summary figures. Written out by hand because the library's own serialisation needs protobufjs,
 * which Tollgate does not ship; the bins are what a merge adds up, so nothing of the sketch's
 * guarantee is lost. Only the non-empty ones are kept: most sketches of a day (an approver's, an
 * entitlement's) hold a few values spread over hundreds of bins.
 */
export interface StoredSketch {
  count: number;
  sum: number;
  min: number;
  max: number;
  zeros: number;
  keys: number[];
  counts: number[];
}

/** What a report shows of a sketch: hours, to the sketch's 1%. */
export interface Quantiles {
  count: number;
  medianHours: number | null;
  p90Hours: number | null;
}

export const newSketch = (): DDSketch => new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });

/** Adds a duration in seconds; a negative one (clocks that disagree) counts as zero. */
export function addSeconds(sketch: DDSketch, seconds: number): void {
  sketch.accept(Math.max(0, seconds));
}

export function storeSketch(sketch: DDSketch): StoredSketch {
  const { store } = sketch;
  const keys: number[] = [];
  const counts: number[] = [];
  if (store.count > 0) {
    for (let key = store.minKey; key <= store.maxKey; key++) {
      const count = store.bins[key - store.offset] ?? 0;
      if (count > 0) {
        keys.push(key);
        counts.push(count);
      }
    }
  }
  return {
    count: sketch.count,
    sum: sketch.sum,
    min: sketch.count > 0 ? sketch.min : 0,
    max: sketch.count > 0 ? sketch.max : 0,
    zeros: sketch.zeroCount,
    keys,
    counts,
  };
}

/** Adds a stored sketch into `into`, as DDSketch's merge would. */
export function mergeStored(into: DDSketch, stored: StoredSketch): void {
  if (stored.count === 0) return;
  for (const [index, key] of stored.keys.entries()) into.store.add(key, stored.counts[index] ?? 0);
  into.zeroCount += stored.zeros;
  into.min = into.count === 0 ? stored.min : Math.min(into.min, stored.min);
  into.max = into.count === 0 ? stored.max : Math.max(into.max, stored.max);
  into.count += stored.count;
  into.sum += stored.sum;
}

const HOUR = 3600;
const hours = (seconds: number) => seconds / HOUR;

export function quantilesOf(sketch: DDSketch): Quantiles {
  if (sketch.count === 0) return { count: 0, medianHours: null, p90Hours: null };
  return {
    count: sketch.count,
    medianHours: hours(sketch.getValueAtQuantile(0.5)),
    p90Hours: hours(sketch.getValueAtQuantile(0.9)),
  };
}
