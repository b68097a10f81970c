import { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-target transforms (`targets.transform`, JavaScript; null: none) and test events (`events.test`). */
export class RoutingTransforms1764710000000 implements MigrationInterface {
  name = 'RoutingTransforms1764710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "targets" ADD "transform" text`);
    await queryRunner.query(`ALTER TABLE "events" ADD "test" boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "events" DROP COLUMN "test"`);
    await queryRunner.query(`ALTER TABLE "targets" DROP COLUMN "transform"`);
  }
}
