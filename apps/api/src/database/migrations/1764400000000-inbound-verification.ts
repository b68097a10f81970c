import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Inbound verification: an entrypoint's `verification` (null: none), whose changes every replica
 * hears of like `active`, and the per-entrypoint count and last rejections of forged requests
 * (written in aggregate, about once a second, by RejectionRecorder).
 */
export class InboundVerification1764400000000 implements MigrationInterface {
  name = 'InboundVerification1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "entrypoints" ADD "verification" jsonb`);
    await queryRunner.query(`DROP TRIGGER entrypoints_config_changed ON entrypoints`);
    await queryRunner.query(
      `CREATE TRIGGER entrypoints_config_changed
       AFTER INSERT OR DELETE OR UPDATE OF active, deleted_at, verification ON entrypoints
       FOR EACH STATEMENT EXECUTE FUNCTION webhooker_notify_config_changed()`,
    );
    await queryRunner.query(
      `CREATE TABLE "entrypoint_rejections" (
         "entrypoint_id" uuid NOT NULL,
         "rejected_count" bigint NOT NULL,
         "recent" jsonb NOT NULL,
         "last_rejected_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
         CONSTRAINT "entrypoint_rejections_pkey" PRIMARY KEY ("entrypoint_id"),
         CONSTRAINT "entrypoint_rejections_entrypoint_id_fkey" FOREIGN KEY ("entrypoint_id") REFERENCES "entrypoints"("id") ON DELETE CASCADE
       )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "entrypoint_rejections"`);
    await queryRunner.query(`DROP TRIGGER entrypoints_config_changed ON entrypoints`);
    await queryRunner.query(
      `CREATE TRIGGER entrypoints_config_changed AFTER INSERT OR DELETE OR UPDATE OF active, deleted_at ON entrypoints
       FOR EACH STATEMENT EXECUTE FUNCTION webhooker_notify_config_changed()`,
    );
    await queryRunner.query(`ALTER TABLE "entrypoints" DROP COLUMN "verification"`);
  }
}
