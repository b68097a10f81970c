import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fault isolation: the due-work index is kept per target, so the sweep can claim round-robin
 * across targets; a `database` target archives each event once, whatever the retries.
 */
export class FaultIsolation1764000000000 implements MigrationInterface {
  name = 'FaultIsolation1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."deliveries_due_idx"`);
    await queryRunner.query(
      `CREATE INDEX "deliveries_due_by_target_idx" ON "deliveries" ("target_id", "next_attempt_at") WHERE status IN ('pending', 'retrying')`,
    );
    await queryRunner.query(
      `DELETE FROM "archived_events" a USING "archived_events" b
       WHERE a.event_id = b.event_id AND a.target_id = b.target_id AND a.archived_at > b.archived_at`,
    );
    await queryRunner.query(
      `DELETE FROM "archived_events" a USING "archived_events" b
       WHERE a.event_id = b.event_id AND a.target_id = b.target_id AND a.archived_at = b.archived_at AND a.id > b.id`,
    );
    await queryRunner.query(`DROP INDEX "public"."archived_events_event_id_idx"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "archived_events_event_id_target_id_key" ON "archived_events" ("event_id", "target_id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."archived_events_event_id_target_id_key"`);
    await queryRunner.query(`CREATE INDEX "archived_events_event_id_idx" ON "archived_events" ("event_id")`);
    await queryRunner.query(`DROP INDEX "public"."deliveries_due_by_target_idx"`);
    await queryRunner.query(
      `CREATE INDEX "deliveries_due_idx" ON "deliveries" ("next_attempt_at") WHERE status IN ('pending', 'retrying')`,
    );
  }
}
