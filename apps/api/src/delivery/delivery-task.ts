import type { HttpTargetConfig, SigningSecret, TargetType } from '../targets/target.entity';

/** What the engine needs to know of a target to deliver to it. */
export interface TargetSnapshot {
  id: string;
  webhookId: string;
  /**
   * The webhook's owner, whose share of the delivery slots the target's attempts take ('' where
   * the webhook was not read with it: previews and test sends, which take no slot).
   */
  ownerId: string;
  type: TargetType;
  active: boolean;
  http: HttpTargetConfig | null;
  signingSecrets: SigningSecret[];
  consecutiveFailures: number;
  circuitOpenUntil: Date | null;
  failingSince: Date | null;
  /** Which events the target takes (see routing/filter.ts); null: every event. */
  filter: object | null;
  /** The target's transform (see routing/transform-sandbox.ts); null: the event is sent as received. */
  transform: string | null;
}

/** The captured request, as a target receives it. */
export interface EventSnapshot {
  id: string;
  webhookId: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  contentType: string | null;
  sourceIp: string | null;
  receivedAt: Date;
  /** Inline when ≤ INLINE_BODY_LIMIT; null means "read it by event id when the attempt starts". */
  body: Buffer | null;
}

/** Bodies up to this size travel with the task; larger ones are read from the database. */
export const INLINE_BODY_LIMIT = 16 * 1024;

/** Headers of a request node:http accepts, at most (its default `maxHeaderSize`). */
const MAX_HEADER_BYTES = 16 * 1024;
/** What an event snapshot costs in memory beyond its body and headers (objects, strings, ids). */
const EVENT_OVERHEAD_BYTES = 512;
/** The largest weight of one event (eventBytes). */
export const MAX_EVENT_WEIGHT = INLINE_BODY_LIMIT + MAX_HEADER_BYTES + EVENT_OVERHEAD_BYTES;

/**
 * What an event held in memory weighs, about its size in bytes: its inline body, its headers and
 * a fixed overhead, never more than MAX_EVENT_WEIGHT.
 */
export function eventBytes(event: EventSnapshot): number {
  let bytes = EVENT_OVERHEAD_BYTES + (event.body?.length ?? 0);
  for (const name in event.headers) bytes += name.length + event.headers[name]!.length;
  return Math.min(bytes, MAX_EVENT_WEIGHT);
}

/** One unit of work: the next attempt of a delivery, self-contained. */
export interface DeliveryTask {
  deliveryId: string;
  target: TargetSnapshot;
  event: EventSnapshot;
  /** Attempts made before this one. */
  attemptCount: number;
  /** attemptCount at the last replay: retries are counted from there. */
  replayBase: number;
}

/** The in-process event carrying freshly committed work from a replay to the engine (ingest calls it directly). */
export const DELIVERY_TASKS_EVENT = 'delivery.tasks';
