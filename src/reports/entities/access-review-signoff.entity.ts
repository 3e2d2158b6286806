import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ReportEntity } from './report.entity.js';

/** One reviewer's decision on one grant of an access review. */
export interface GrantDecision {
  /** The grant as the access review names it (e.g. a policy's name or id). */
  grant: string;
  decision: 'keep' | 'revoke';
  remark: string | null;
}

/**
 * A recorded review of a stored access-review report: who reviewed it, when, their remarks and a
 * keep/revoke decision per grant. Compliance summaries cite the latest one (SOC 2 CC6.3 and
 * PCI DSS 7.2.4 ask for evidence that access was reviewed, not only listed). Never changed: a new
 * review is a new row.
 */
@Entity('access_review_signoffs')
@Index('access_review_signoffs_reviewed_idx', ['reviewedAt'])
export class AccessReviewSignoffEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ type: 'varchar', length: 40 })
  reportId: string;

  @ManyToOne(() => ReportEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'report_id' })
  report?: ReportEntity;

  @Column({ type: 'varchar', length: 256 })
  reviewedBy: string;

  @Column({ type: 'timestamptz' })
  reviewedAt: Date;

  @Column({ type: 'text', nullable: true })
  remarks: string | null;

  @Column({ type: 'jsonb' })
  decisions: GrantDecision[];
}
