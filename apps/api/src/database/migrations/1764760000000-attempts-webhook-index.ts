import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `delivery_attempts` loses its index on `webhook_id`. Only the purge of a deleted webhook read by
 * it, and the purge now finds attempts through their deliveries (`delivery_attempts_delivery_id_idx`);
 * every attempt written under load paid for an entry in it, and at 30 days of history (3 billion
 * attempts) it would be about 100 GB of index nothing else reads (docs/scaling.md).
 */
export class AttemptsWebhookIndex1764760000000 implements MigrationInterface {
  name = 'AttemptsWebhookIndex1764760000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."delivery_attempts_webhook_id_idx"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "delivery_attempts_webhook_id_idx" ON "delivery_attempts" ("webhook_id")`,
    );
  }
}
