import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Circuit-breaker and auto-disable state on targets, the replay base of deliveries, and the
 * triggers that tell every replica (NOTIFY webhooker_config) to drop its cached routing
 * configuration when webhooks, entrypoints or targets change.
 */
export class DeliveryEngine1763920000000 implements MigrationInterface {
  name = 'DeliveryEngine1763920000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "deliveries" ADD "replay_base" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "targets" ADD "consecutive_failures" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "targets" ADD "circuit_open_until" TIMESTAMP(3) WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "targets" ADD "failing_since" TIMESTAMP(3) WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "targets" ADD "disabled_reason" text`);
    await queryRunner.query(`
      CREATE FUNCTION webhooker_notify_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('webhooker_config', TG_TABLE_NAME);
        RETURN NULL;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER webhooks_config_changed AFTER INSERT OR DELETE OR UPDATE OF deleted_at ON webhooks
       FOR EACH STATEMENT EXECUTE FUNCTION webhooker_notify_config_changed()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER entrypoints_config_changed AFTER INSERT OR DELETE OR UPDATE OF active, deleted_at ON entrypoints
       FOR EACH STATEMENT EXECUTE FUNCTION webhooker_notify_config_changed()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER targets_config_changed
       AFTER INSERT OR DELETE OR UPDATE OF name, type, active, http, signing_secrets, deleted_at ON targets
       FOR EACH STATEMENT EXECUTE FUNCTION webhooker_notify_config_changed()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER targets_config_changed ON targets`);
    await queryRunner.query(`DROP TRIGGER entrypoints_config_changed ON entrypoints`);
    await queryRunner.query(`DROP TRIGGER webhooks_config_changed ON webhooks`);
    await queryRunner.query(`DROP FUNCTION webhooker_notify_config_changed()`);
    await queryRunner.query(`ALTER TABLE "targets" DROP COLUMN "disabled_reason"`);
    await queryRunner.query(`ALTER TABLE "targets" DROP COLUMN "failing_since"`);
    await queryRunner.query(`ALTER TABLE "targets" DROP COLUMN "circuit_open_until"`);
    await queryRunner.query(`ALTER TABLE "targets" DROP COLUMN "consecutive_failures"`);
    await queryRunner.query(`ALTER TABLE "deliveries" DROP COLUMN "replay_base"`);
  }
}
