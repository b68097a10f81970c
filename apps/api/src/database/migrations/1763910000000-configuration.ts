import { MigrationInterface, QueryRunner } from 'typeorm';

/** Webhooks, entrypoints, targets, idempotency keys, and the event data tables of the delivery engine. */
export class Configuration1763910000000 implements MigrationInterface {
  name = 'Configuration1763910000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "archived_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "event_id" uuid NOT NULL, "webhook_id" uuid NOT NULL, "target_id" uuid NOT NULL, "method" character varying(10) NOT NULL, "path" text NOT NULL, "query" text NOT NULL DEFAULT '', "headers" jsonb NOT NULL, "body" bytea NOT NULL, "content_type" text, "source_ip" character varying(64), "received_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "archived_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_43782e7094c667604b6a3048a63" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "archived_events_event_id_idx" ON "archived_events"("event_id")`);
    await queryRunner.query(
      `CREATE INDEX "archived_events_webhook_id_idx" ON "archived_events"("webhook_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "archived_events_target_id_idx" ON "archived_events"("target_id", "archived_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "deliveries" ("id" uuid NOT NULL, "event_id" uuid NOT NULL, "webhook_id" uuid NOT NULL, "target_id" uuid NOT NULL, "status" character varying(16) NOT NULL, "attempt_count" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE, "lease_expires_at" TIMESTAMP(3) WITH TIME ZONE, "leased_by" character varying(64), "last_status_code" integer, "last_error" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "deliveries_status_check" CHECK ("status" IN ('pending', 'retrying', 'delivered', 'failed', 'cancelled')), CONSTRAINT "PK_a6ef225c5c5f0974e503bfb731f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "deliveries_event_id_idx" ON "deliveries"("event_id")`);
    await queryRunner.query(`CREATE INDEX "deliveries_webhook_id_idx" ON "deliveries"("webhook_id")`);
    await queryRunner.query(
      `CREATE INDEX "deliveries_target_id_status_idx" ON "deliveries"("target_id", "status", "created_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "deliveries_due_idx" ON "deliveries"("next_attempt_at") WHERE status IN ('pending', 'retrying')`,
    );
    await queryRunner.query(
      `CREATE TABLE "delivery_attempts" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "delivery_id" uuid NOT NULL, "webhook_id" uuid NOT NULL, "attempt_number" integer NOT NULL, "started_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "duration_ms" integer NOT NULL, "status_code" integer, "response_excerpt" text, "error" text, CONSTRAINT "PK_41eba4eb5401d72860f7cd9a7ac" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "delivery_attempts_webhook_id_idx" ON "delivery_attempts"("webhook_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "delivery_attempts_delivery_id_idx" ON "delivery_attempts"("delivery_id", "attempt_number")`,
    );
    await queryRunner.query(
      `CREATE TABLE "webhooks" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "owner_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "description" character varying(1000) NOT NULL DEFAULT '', "retention_days" integer NOT NULL DEFAULT '30', "event_data_purged_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_9e8795cfc899ab7bdaa831e8527" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "webhooks_owner_id_idx" ON "webhooks"("owner_id")`);
    await queryRunner.query(
      `CREATE TABLE "entrypoints" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "webhook_id" uuid NOT NULL, "description" character varying(500) NOT NULL DEFAULT '', "active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_39f69b37640bc78f431f96433c4" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "entrypoints_webhook_id_idx" ON "entrypoints"("webhook_id")`);
    await queryRunner.query(
      `CREATE TABLE "idempotency_keys" ("user_id" uuid NOT NULL, "key" character varying(255) NOT NULL, "request_hash" character(64) NOT NULL, "response_status" integer, "response_body" jsonb, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_392b1af86f210d98d3f0c764728" PRIMARY KEY ("user_id", "key"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "events" ("id" uuid NOT NULL, "webhook_id" uuid NOT NULL, "entrypoint_id" uuid NOT NULL, "method" character varying(10) NOT NULL, "path" text NOT NULL, "query" text NOT NULL DEFAULT '', "headers" jsonb NOT NULL, "body" bytea NOT NULL, "content_type" text, "source_ip" character varying(64), "received_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_40731c7151fe4be3116e45ddf73" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "events_webhook_id_received_at_idx" ON "events"("webhook_id", "received_at", "id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "targets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "webhook_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "type" character varying(16) NOT NULL, "active" boolean NOT NULL DEFAULT true, "http" jsonb, "signing_secrets" jsonb NOT NULL DEFAULT '[]', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "targets_type_check" CHECK ("type" IN ('http', 'database', 'log')), CONSTRAINT "PK_87084f49e9de9dd6a3e83906584" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "targets_webhook_id_idx" ON "targets"("webhook_id")`);
    await queryRunner.query(
      `ALTER TABLE "webhooks" ADD CONSTRAINT "FK_d1a90c63f6cb23ae3974aef05c1" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "entrypoints" ADD CONSTRAINT "FK_106d91a0f44d7b796a2f74dd311" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "targets" ADD CONSTRAINT "FK_2dd876522cbb806f7e4f177213e" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "targets" DROP CONSTRAINT "FK_2dd876522cbb806f7e4f177213e"`);
    await queryRunner.query(`ALTER TABLE "entrypoints" DROP CONSTRAINT "FK_106d91a0f44d7b796a2f74dd311"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP CONSTRAINT "FK_d1a90c63f6cb23ae3974aef05c1"`);
    await queryRunner.query(`DROP INDEX "public"."targets_webhook_id_idx"`);
    await queryRunner.query(`DROP TABLE "targets"`);
    await queryRunner.query(`DROP INDEX "public"."events_webhook_id_received_at_idx"`);
    await queryRunner.query(`DROP TABLE "events"`);
    await queryRunner.query(`DROP TABLE "idempotency_keys"`);
    await queryRunner.query(`DROP INDEX "public"."entrypoints_webhook_id_idx"`);
    await queryRunner.query(`DROP TABLE "entrypoints"`);
    await queryRunner.query(`DROP INDEX "public"."webhooks_owner_id_idx"`);
    await queryRunner.query(`DROP TABLE "webhooks"`);
    await queryRunner.query(`DROP INDEX "public"."delivery_attempts_delivery_id_idx"`);
    await queryRunner.query(`DROP INDEX "public"."delivery_attempts_webhook_id_idx"`);
    await queryRunner.query(`DROP TABLE "delivery_attempts"`);
    await queryRunner.query(`DROP INDEX "public"."deliveries_due_idx"`);
    await queryRunner.query(`DROP INDEX "public"."deliveries_target_id_status_idx"`);
    await queryRunner.query(`DROP INDEX "public"."deliveries_webhook_id_idx"`);
    await queryRunner.query(`DROP INDEX "public"."deliveries_event_id_idx"`);
    await queryRunner.query(`DROP TABLE "deliveries"`);
    await queryRunner.query(`DROP INDEX "public"."archived_events_target_id_idx"`);
    await queryRunner.query(`DROP INDEX "public"."archived_events_webhook_id_idx"`);
    await queryRunner.query(`DROP INDEX "public"."archived_events_event_id_idx"`);
    await queryRunner.query(`DROP TABLE "archived_events"`);
  }
}
