/** Which bound a request would go over: the process's totals, or its owner's share of them. */
export type BudgetRefusal = 'total' | 'owner';

interface Holding {
  events: number;
  bytes: number;
}

/**
 * An owner refused because the totals were full counts among the owners sharing them for this
 * long (twice the Retry-After of the refusal), so the owners that filled them get smaller shares
 * and the room they give back is left for it.
 */
const CONTENDER_MS = 2_000;

/**
 * Ingest backpressure: the events and body bytes this process holds in memory (being read or
 * waiting for their commit), bounded by INGEST_MAX_PENDING_EVENTS and INGEST_MAX_PENDING_BYTES.
 * A request that would go over either bound is refused (503 with Retry-After) instead of queued.
 *
 * The bounds are shared fairly among the owners of the webhooks (the tenants): an owner's events
 * together hold at most an equal share of each bound among the owners holding events now, and
 * never more than half of it, so one owner's senders (a flood, or slow uploads that announce a
 * large body) always leave room for everyone else. An owner refused because the totals were full
 * counts among those owners for a while (CONTENDER_MS), so the room given back goes to it. An
 * owner's first event in flight is bounded only by the totals, so an event as large as
 * MAX_EVENT_BYTES always fits.
 */
export class IngestBudget {
  private events = 0;
  private bytes = 0;
  private readonly owners = new Map<string, Holding>();
  /** Owners holding nothing that were refused for the totals, and when they were last refused. */
  private readonly contenders = new Map<string, number>();

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {}

  /** Takes one event of `owner` and its announced body size; a refusal takes nothing. */
  admit(owner: string, announcedBytes: number, now = Date.now()): BudgetRefusal | null {
    const holding = this.owners.get(owner);
    if (this.events >= this.maxEvents || this.bytes + announcedBytes > this.maxBytes) {
      if (!holding) this.contenders.set(owner, now);
      return 'total';
    }
    if (holding && !this.withinShare(holding, 1, announcedBytes, now)) return 'owner';
    if (holding) {
      holding.events++;
      holding.bytes += announcedBytes;
    } else {
      this.owners.set(owner, { events: 1, bytes: announcedBytes });
      this.contenders.delete(owner);
    }
    this.events++;
    this.bytes += announcedBytes;
    return null;
  }

  /** Takes more body bytes for an admitted event of `owner`; a refusal takes nothing. */
  grow(owner: string, bytes: number, now = Date.now()): BudgetRefusal | null {
    if (this.bytes + bytes > this.maxBytes) return 'total';
    const holding = this.owners.get(owner)!;
    if (holding.events > 1 && !this.withinShare(holding, 0, bytes, now)) return 'owner';
    holding.bytes += bytes;
    this.bytes += bytes;
    return null;
  }

  /** Gives back an admitted event of `owner` and every byte taken for it. */
  release(owner: string, bytes: number): void {
    const holding = this.owners.get(owner)!;
    holding.events--;
    holding.bytes -= bytes;
    if (holding.events === 0) this.owners.delete(owner);
    this.events--;
    this.bytes -= bytes;
  }

  /** Events and bytes held now, in all and by the owners holding any. */
  get held(): { events: number; bytes: number; owners: number } {
    return { events: this.events, bytes: this.bytes, owners: this.owners.size };
  }

  /** What `owner` holds now (nothing when absent). */
  heldBy(owner: string): Holding {
    const holding = this.owners.get(owner);
    return { events: holding?.events ?? 0, bytes: holding?.bytes ?? 0 };
  }

  private withinShare(holding: Holding, events: number, bytes: number, now: number): boolean {
    for (const [owner, refusedAt] of this.contenders) {
      if (now - refusedAt > CONTENDER_MS) this.contenders.delete(owner);
    }
    const holders = Math.max(2, this.owners.size + this.contenders.size);
    return (
      holding.events + events <= this.maxEvents / holders && holding.bytes + bytes <= this.maxBytes / holders
    );
  }
}
