import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bulk recovery: the `bulk_operations` table (a replay or cancel by filter, run in batches under a
 * lease), and deliveries indexed by (webhook, id) so an operation walks a webhook's deliveries by
 * keyset without rescanning (this index also serves every lookup the webhook-only one did).
 */
export class BulkOperations1764200000000 implements MigrationInterface {
  name = 'BulkOperations1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "bulk_operations" ("id" uuid NOT NULL, "webhook_id" uuid NOT NULL, "kind" character varying(16) NOT NULL, "filter" jsonb NOT NULL, "state" character varying(16) NOT NULL DEFAULT 'running', "total" integer NOT NULL, "done" integer NOT NULL DEFAULT '0', "last_delivery_id" uuid, "error" text, "leased_by" character varying(64), "lease_expires_at" TIMESTAMP(3) WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "bulk_operations_state_check" CHECK ("state" IN ('running', 'done', 'failed')), CONSTRAINT "bulk_operations_kind_check" CHECK ("kind" IN ('replay', 'cancel')), CONSTRAINT "PK_1809d3916de887ac1c2db1eb157" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "bulk_operations_running_idx" ON "bulk_operations" ("created_at") WHERE state = 'running'`,
    );
    await queryRunner.query(
      `CREATE INDEX "bulk_operations_webhook_id_created_at_idx" ON "bulk_operations" ("webhook_id", "created_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "deliveries_webhook_id_id_idx" ON "deliveries" ("webhook_id", "id")`,
    );
    await queryRunner.query(`DROP INDEX "public"."deliveries_webhook_id_idx"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "deliveries_webhook_id_idx" ON "deliveries" ("webhook_id")`);
    await queryRunner.query(`DROP INDEX "public"."deliveries_webhook_id_id_idx"`);
    await queryRunner.query(`DROP INDEX "public"."bulk_operations_webhook_id_created_at_idx"`);
    await queryRunner.query(`DROP INDEX "public"."bulk_operations_running_idx"`);
    await queryRunner.query(`DROP TABLE "bulk_operations"`);
  }
}
