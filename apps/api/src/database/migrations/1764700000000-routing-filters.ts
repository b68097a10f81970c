import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-target filters: a target's `filter` (null: every event), and a `skipped` delivery status
 * with its reason (`filter` or `transform`) for the events a target does not take.
 */
export class RoutingFilters1764700000000 implements MigrationInterface {
  name = 'RoutingFilters1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "targets" ADD "filter" jsonb`);
    await queryRunner.query(`ALTER TABLE "deliveries" ADD "skip_reason" text`);
    await queryRunner.query(`ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_status_check"`);
    await queryRunner.query(
      `ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_status_check" CHECK ("status" IN ('pending', 'retrying', 'paused', 'delivered', 'failed', 'cancelled', 'skipped'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "deliveries" WHERE status = 'skipped'`);
    await queryRunner.query(`ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_status_check"`);
    await queryRunner.query(
      `ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_status_check" CHECK ("status" IN ('pending', 'retrying', 'paused', 'delivered', 'failed', 'cancelled'))`,
    );
    await queryRunner.query(`ALTER TABLE "deliveries" DROP COLUMN "skip_reason"`);
    await queryRunner.query(`ALTER TABLE "targets" DROP COLUMN "filter"`);
  }
}
