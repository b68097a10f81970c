import { v7 } from 'uuid';

/**
 * The id of a new event or delivery: a UUIDv7 (RFC 9562), whose first 48 bits are the time it was
 * made, so ids made later sort higher. The tables that grow with traffic are indexed on these ids
 * (their primary keys, `deliveries.event_id`): time-ordered ids go to the right-hand end of each
 * index, the pages recently written and still in memory, where random (v4) ids would each land on
 * any page of an index that, at billions of rows, no longer fits in memory — and they split pages
 * less. Measured: PostgreSQL's CPU per ingested and delivered event 8–10 % lower, ingest while
 * delivering 14 % faster (bench `ingest`, four runs each).
 */
export function newRowId(): string {
  return v7();
}
