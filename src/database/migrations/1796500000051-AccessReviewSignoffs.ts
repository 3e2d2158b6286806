import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Review decisions recorded on stored access reviews (issue 18: evidence that access was reviewed, not only listed). */
export class AccessReviewSignoffs1796500000051 implements MigrationInterface {
  name = 'AccessReviewSignoffs1796500000051';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"access_review_signoffs\" (\"id\" character varying(40) NOT NULL, \"report_id\" character varying(40) NOT NULL, \"reviewed_by\" character varying(256) NOT NULL, \"reviewed_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"remarks\" text, \"decisions\" jsonb NOT NULL, CONSTRAINT \"PK_24bbb6b4a62f75a266ae9b74594\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"access_review_signoffs_reviewed_idx\" ON \"access_review_signoffs\"  (\"reviewed_at\") ");
    await queryRunner.query("ALTER TABLE \"access_review_signoffs\" ADD CONSTRAINT \"FK_b07eaf355d2533e0e1ef78d6b36\" FOREIGN KEY (\"report_id\") REFERENCES \"reports\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"access_review_signoffs\" DROP CONSTRAINT \"FK_b07eaf355d2533e0e1ef78d6b36\"");
    await queryRunner.query("DROP INDEX \"public\".\"access_review_signoffs_reviewed_idx\"");
    await queryRunner.query("DROP TABLE \"access_review_signoffs\"");
  }
}
