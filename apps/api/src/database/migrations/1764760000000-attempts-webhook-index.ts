import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `delivery_attempts` loses its index on `webhook_id`. Only the purge of a deleted webhook read by
 * it, and the purge now finds attempts through their deliveries (`delivery_attempts_delivery_id_idx`).
 * Every attempt paid for an entry: about 7 bytes (21 GB at 30 days of 100 million events a day,
 * 3 billion attempts; docs/scaling.md) and 0.5 of the 7 µs PostgreSQL takes to insert an attempt
 * in batches of 90 (measured on an idle machine, 300 000 attempts).
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
