import { MigrationInterface, QueryRunner } from 'typeorm';

/** Columns shared by the minute and the hour rollups (see stats/stats-rollup.job.ts). */
const ROLLUP_COLUMNS = `"bucket" TIMESTAMP WITH TIME ZONE NOT NULL, "webhook_id" uuid NOT NULL, "target_id" uuid,
  "events" integer NOT NULL DEFAULT 0, "attempts" integer NOT NULL DEFAULT 0, "delivered" integer NOT NULL DEFAULT 0,
  "failed" integer NOT NULL DEFAULT 0, "skipped" integer NOT NULL DEFAULT 0, "latency" integer[] NOT NULL DEFAULT '{}',
  "last_attempt_at" TIMESTAMP(3) WITH TIME ZONE, "last_error" text, "last_error_at" TIMESTAMP(3) WITH TIME ZONE`;

/**
 * Statistics rollups: counters per minute and per hour, per webhook (target_id NULL: events received)
 * and per target (attempts, outcomes, a log-scale latency histogram), and the watermarks of the job
 * that fills them. The rollups are filled from existing rows by the job's
 * first runs: its watermarks start at the retention horizon of the hour rollups (8 days ago), and it
 * catches up in bounded batches instead of holding this migration for minutes on a large database.
 */
export class StatsRollups1764720000000 implements MigrationInterface {
  name = 'StatsRollups1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['stats_rollups_minute', 'stats_rollups_hour']) {
      await queryRunner.query(
        `CREATE TABLE "${table}" (${ROLLUP_COLUMNS},
         CONSTRAINT "${table}_key" UNIQUE NULLS NOT DISTINCT ("bucket", "webhook_id", "target_id"))`,
      );
      await queryRunner.query(
        `CREATE INDEX "${table}_webhook_id_idx" ON "${table}" ("webhook_id", "bucket")`,
      );
    }
    await queryRunner.query(
      `CREATE TABLE "stats_rollup_state" ("id" smallint NOT NULL DEFAULT 1, "attempts_after" bigint NOT NULL,
       "received_until" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
       CONSTRAINT "stats_rollup_state_pkey" PRIMARY KEY ("id"), CONSTRAINT "stats_rollup_state_one_row" CHECK ("id" = 1))`,
    );
    await queryRunner.query(
      `INSERT INTO "stats_rollup_state" ("attempts_after", "received_until") VALUES (0, now() - interval '8 days')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "stats_rollup_state"`);
    await queryRunner.query(`DROP TABLE "stats_rollups_hour"`);
    await queryRunner.query(`DROP TABLE "stats_rollups_minute"`);
  }
}
