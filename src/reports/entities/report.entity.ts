import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type ReportKind = 'security' | 'compliance' | 'access_review' | 'annual';

/**
 * A generated report, stored as its canonical JSON document with the SHA-256 of that JSON and an
 * Ed25519 signature, so a downloaded copy can be verified later.
 */
@Entity('reports')
@Index('reports_kind_generated_idx', ['kind', 'generatedAt'])
@Index('reports_dedup_key_idx', ['dedupKey'], { unique: true })
export class ReportEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  kind: ReportKind;

  /** For compliance summaries: soc2 | pci_dss | gdpr | hipaa. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  standard: string | null;

  @Column({ type: 'timestamptz' })
  periodFrom: Date;

  @Column({ type: 'timestamptz' })
  periodTo: Date;

  @Column({ type: 'timestamptz' })
  generatedAt: Date;

  @Column({ type: 'varchar', length: 256 })
  generatedBy: string;

  @Column({ type: 'char', length: 64 })
  sha256: string;

  @Column({ type: 'text' })
  signature: string;

  @Column({ type: 'varchar', length: 40 })
  keyId: string;

  /** kind, standard and period (see report-dedup.ts): one stored report per key. Null on older rows. */
  @Column({ type: 'varchar', length: 160, nullable: true })
  dedupKey: string | null;

  /** The report document (the JSON form; CSV and PDF are rendered from it on download). */
  @Column({ type: 'jsonb' })
  document: Record<string, unknown>;
}
