import { MigrationInterface, QueryRunner } from 'typeorm';

/** Pausing targets without loss: a `paused` delivery status, and when webhooker disabled a target. */
export class TargetOperations1764100000000 implements MigrationInterface {
  name = 'TargetOperations1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_status_check"`);
    await queryRunner.query(
      `ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_status_check" CHECK ("status" IN ('pending', 'retrying', 'paused', 'delivered', 'failed', 'cancelled'))`,
    );
    await queryRunner.query(`ALTER TABLE "targets" ADD "disabled_at" TIMESTAMP(3) WITH TIME ZONE`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "targets" DROP COLUMN "disabled_at"`);
    await queryRunner.query(`UPDATE "deliveries" SET status = 'cancelled' WHERE status = 'paused'`);
    await queryRunner.query(`ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_status_check"`);
    await queryRunner.query(
      `ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_status_check" CHECK ("status" IN ('pending', 'retrying', 'delivered', 'failed', 'cancelled'))`,
    );
  }
}
