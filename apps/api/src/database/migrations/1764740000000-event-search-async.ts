import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Event search off the ingest path: the trigram index on `events` cost every stored event about a
 * thousand GIN entries inside the ingest transaction (ingest throughput halved). The search text
 * now goes, a few seconds later, into `event_search` (one row per event with its receipt time,
 * deleted with its event; a text that many events hold is searched newest first by receipt time),
 * written by the event search indexer (src/event-log/event-search.indexer.ts) in batches past the
 * watermark in `event_search_state`; the search scans the events past the watermark itself.
 *
 * The watermark starts before every event: the indexer fills `event_search` for the existing
 * events in bounded batches after start, not in this migration. `webhooker_event_search_text` is
 * made total (headers that are not a JSON object give no header text) so no stored row can fail a
 * batch. Going down leaves search without its index (the previous migration no longer builds one).
 */
export class EventSearchAsync1764740000000 implements MigrationInterface {
  name = 'EventSearchAsync1764740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS "events_search_idx"`);
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION webhooker_event_search_text(headers jsonb, body bytea) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE
       AS $$
         SELECT coalesce((SELECT string_agg(h.value, E'\\n') FROM jsonb_each_text(
                            CASE WHEN jsonb_typeof(headers) = 'object' THEN headers ELSE '{}' END) h), '')
           || E'\\n' || coalesce(encode(substring(body FROM 1 FOR 4096), 'escape'), '')
       $$`,
    );
    await queryRunner.query(
      `CREATE TABLE "event_search" (
         "event_id" uuid NOT NULL,
         "received_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
         "text" text NOT NULL,
         CONSTRAINT "event_search_pkey" PRIMARY KEY ("event_id"),
         CONSTRAINT "event_search_event_fk" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE CASCADE)`,
    );
    await queryRunner.query(
      `CREATE INDEX "event_search_text_idx" ON "event_search" USING gin ("text" gin_trgm_ops)`,
    );
    await queryRunner.query(
      `CREATE INDEX "event_search_received_at_idx" ON "event_search" ("received_at", "event_id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "event_search_state" (
         "id" smallint NOT NULL DEFAULT 1,
         "indexed_until" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
         "indexed_until_id" uuid NOT NULL,
         "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
         CONSTRAINT "event_search_state_pkey" PRIMARY KEY ("id"),
         CONSTRAINT "event_search_state_one_row" CHECK ("id" = 1))`,
    );
    await queryRunner.query(
      `INSERT INTO "event_search_state" ("indexed_until", "indexed_until_id")
       VALUES ('-infinity', '00000000-0000-0000-0000-000000000000')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "event_search_state"`);
    await queryRunner.query(`DROP TABLE "event_search"`);
  }
}
