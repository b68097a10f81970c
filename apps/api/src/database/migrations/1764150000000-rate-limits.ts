import { MigrationInterface, QueryRunner } from 'typeorm';

/** The shared token bucket of each rate-limited target (every replica takes its tokens from here). */
export class RateLimits1764150000000 implements MigrationInterface {
  name = 'RateLimits1764150000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "target_rate_buckets" (
         "target_id" uuid NOT NULL,
         "tokens" double precision NOT NULL,
         "granted" integer NOT NULL,
         "refilled_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
         CONSTRAINT "target_rate_buckets_pkey" PRIMARY KEY ("target_id"),
         CONSTRAINT "target_rate_buckets_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "targets"("id") ON DELETE CASCADE
       )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "target_rate_buckets"`);
  }
}
