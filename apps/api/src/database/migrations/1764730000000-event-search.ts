import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Event search and replay marks.
 *
 * Search: the search text of an event is an IMMUTABLE function of the row — the header values and
 * the first 4 KiB of the body, escape-encoded (bytes that are not printable ASCII read as `\ooo`,
 * so any body, binary or cut in the middle of a character, gives valid text). A trigram index over
 * it on `events` was built here at first; it cost ingest too much and the next migration
 * (event-search-async) moved the text to a table of its own, filled after the fact, so it is no
 * longer built here (an installation that built it has it dropped there). A (received_at, id)
 * index serves the view across all webhooks, newest first, and the scan of the events the search
 * indexer has not reached.
 *
 * Replay marks: when and by whom a delivery was last replayed, and who made a bulk operation (its
 * replays carry that name).
 */
export class EventSearch1764730000000 implements MigrationInterface {
  name = 'EventSearch1764730000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION webhooker_event_search_text(headers jsonb, body bytea) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE
       AS $$
         SELECT coalesce((SELECT string_agg(h.value, E'\\n') FROM jsonb_each_text(headers) h), '')
           || E'\\n' || encode(substring(body FROM 1 FOR 4096), 'escape')
       $$`,
    );
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "events_received_at_idx" ON "events" ("received_at", "id")`,
    );
    await queryRunner.query(`ALTER TABLE "deliveries" ADD "replayed_at" TIMESTAMP(3) WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "deliveries" ADD "replayed_by" character varying(100)`);
    await queryRunner.query(`ALTER TABLE "bulk_operations" ADD "created_by" character varying(100)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "bulk_operations" DROP COLUMN "created_by"`);
    await queryRunner.query(`ALTER TABLE "deliveries" DROP COLUMN "replayed_by"`);
    await queryRunner.query(`ALTER TABLE "deliveries" DROP COLUMN "replayed_at"`);
    await queryRunner.query(`DROP INDEX "events_received_at_idx"`);
    await queryRunner.query(`DROP FUNCTION webhooker_event_search_text(jsonb, bytea)`);
  }
}
