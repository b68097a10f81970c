import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stable keys for configuration as code: a webhook's key is unique among its owner's webhooks, an
 * entrypoint's and a target's among their webhook's; null (objects made in the dashboard) until given.
 */
export class ConfigKeys1764600000000 implements MigrationInterface {
  name = 'ConfigKeys1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "key" character varying(100)`);
    await queryRunner.query(`ALTER TABLE "entrypoints" ADD "key" character varying(100)`);
    await queryRunner.query(`ALTER TABLE "targets" ADD "key" character varying(100)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "webhooks_owner_key" ON "webhooks" ("owner_id", "key") WHERE "key" IS NOT NULL AND "deleted_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "entrypoints_webhook_key" ON "entrypoints" ("webhook_id", "key") WHERE "key" IS NOT NULL AND "deleted_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "targets_webhook_key" ON "targets" ("webhook_id", "key") WHERE "key" IS NOT NULL AND "deleted_at" IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "targets_webhook_key"`);
    await queryRunner.query(`DROP INDEX "entrypoints_webhook_key"`);
    await queryRunner.query(`DROP INDEX "webhooks_owner_key"`);
    await queryRunner.query(`ALTER TABLE "targets" DROP COLUMN "key"`);
    await queryRunner.query(`ALTER TABLE "entrypoints" DROP COLUMN "key"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "key"`);
  }
}
