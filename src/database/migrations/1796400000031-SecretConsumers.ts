import type { MigrationInterface, QueryRunner } from 'typeorm';

/** secret_consumers: each (secret, sub) that read a value and the version it last received (src/secrets/consumers). */
export class SecretConsumers1796400000031 implements MigrationInterface {
  name = 'SecretConsumers1796400000031';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "secret_consumers" ("secret_id" character varying(40) NOT NULL, "sub" character varying(256) NOT NULL, "last_version" integer NOT NULL, "first_read_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_read_at" TIMESTAMP WITH TIME ZONE NOT NULL, "read_count" bigint NOT NULL, CONSTRAINT "PK_f353993458fc2afbf2123507899" PRIMARY KEY ("secret_id", "sub"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "secret_consumers"');
  }
}
