/**
 * Ingest backpressure: the events and body bytes this process holds in memory (being read or
 * waiting for their commit), bounded by INGEST_MAX_PENDING_EVENTS and INGEST_MAX_PENDING_BYTES.
 * A request that would go over either bound is refused (503 with Retry-After) instead of queued.
 */
export class IngestBudget {
  private events = 0;
  private bytes = 0;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {}

  /** Takes one event and its announced body size; false (and nothing taken) when over a bound. */
  admit(announcedBytes: number): boolean {
    if (this.events >= this.maxEvents || this.bytes + announcedBytes > this.maxBytes) return false;
    this.events++;
    this.bytes += announcedBytes;
    return true;
  }

  /** Takes more body bytes for an admitted event; false (and nothing taken) when over the bound. */
  grow(bytes: number): boolean {
    if (this.bytes + bytes > this.maxBytes) return false;
    this.bytes += bytes;
    return true;
  }

  /** Gives back an admitted event and every byte taken for it. */
  release(bytes: number): void {
    this.events--;
    this.bytes -= bytes;
  }

  /** Events and bytes held now. */
  get held(): { events: number; bytes: number } {
    return { events: this.events, bytes: this.bytes };
  }
}
