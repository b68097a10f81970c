import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alerts: a user's system webhook (no entrypoint, not listed among webhooks) whose targets are alert
 * subscriptions, the event types each subscription wants, and the cluster-wide state of rate-limited
 * and backlog alerts.
 */
export class Alerts1764300000000 implements MigrationInterface {
  name = 'Alerts1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "system" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "webhooks_system_owner_key" ON "webhooks" ("owner_id") WHERE system AND deleted_at IS NULL`,
    );
    await queryRunner.query(`ALTER TABLE "events" ALTER COLUMN "entrypoint_id" DROP NOT NULL`);
    await queryRunner.query(
      `CREATE TABLE "alert_subscriptions" ("target_id" uuid NOT NULL, "event_types" text array NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "alert_subscriptions_pkey" PRIMARY KEY ("target_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "alert_windows" ("type" character varying(64) NOT NULL, "subject_id" uuid NOT NULL, "webhook_id" uuid NOT NULL, "opened_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "count" integer NOT NULL, "first_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "last_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "last_data" jsonb NOT NULL, CONSTRAINT "alert_windows_pkey" PRIMARY KEY ("type", "subject_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "alert_windows_opened_at_idx" ON "alert_windows" ("opened_at")`);
    await queryRunner.query(
      `CREATE TABLE "backlog_alerts" ("webhook_id" uuid NOT NULL, "waiting" integer NOT NULL, "raised_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "backlog_alerts_pkey" PRIMARY KEY ("webhook_id"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "backlog_alerts"`);
    await queryRunner.query(`DROP TABLE "alert_windows"`);
    await queryRunner.query(`DROP TABLE "alert_subscriptions"`);
    await queryRunner.query(`DELETE FROM "events" WHERE "entrypoint_id" IS NULL`);
    await queryRunner.query(`ALTER TABLE "events" ALTER COLUMN "entrypoint_id" SET NOT NULL`);
    await queryRunner.query(`DROP INDEX "public"."webhooks_system_owner_key"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "system"`);
  }
}
