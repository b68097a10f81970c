import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deduplication per entrypoint: its setting and duplicate count, and the keys seen within their
 * window (one row per entrypoint and key: the unique key that makes the check atomic across
 * replicas), with the index the cleanup of expired keys walks. A change of the setting notifies
 * every replica like the other routing columns.
 */
export class InboundDedup1764500000000 implements MigrationInterface {
  name = 'InboundDedup1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "entrypoints" ADD "dedup" jsonb`);
    await queryRunner.query(`ALTER TABLE "entrypoints" ADD "duplicate_count" bigint NOT NULL DEFAULT '0'`);
    await queryRunner.query(
      `CREATE TABLE "dedup_keys" (
         "entrypoint_id" uuid NOT NULL,
         "key" text NOT NULL,
         "event_id" uuid NOT NULL,
         "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
         CONSTRAINT "dedup_keys_pkey" PRIMARY KEY ("entrypoint_id", "key")
       )`,
    );
    await queryRunner.query(`CREATE INDEX "dedup_keys_expires_at_idx" ON "dedup_keys" ("expires_at")`);
    await queryRunner.query(
      `CREATE TRIGGER entrypoints_dedup_changed AFTER UPDATE OF dedup ON entrypoints
       FOR EACH STATEMENT EXECUTE FUNCTION webhooker_notify_config_changed()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER entrypoints_dedup_changed ON entrypoints`);
    await queryRunner.query(`DROP TABLE "dedup_keys"`);
    await queryRunner.query(`ALTER TABLE "entrypoints" DROP COLUMN "duplicate_count"`);
    await queryRunner.query(`ALTER TABLE "entrypoints" DROP COLUMN "dedup"`);
  }
}
