import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A subject (JWT `sub`) refused every request, whatever its token, until an admin lifts it. One
 * row per cause (`ref`, the incident that locked it out); the subject is locked out while any row
 * names it. Lifting deletes the row (the incident keeps the history). Every replica holds the
 * distinct subjects in memory (SubjectLockouts).
 */
@Entity('subject_lockouts')
@Index('subject_lockouts_sub_idx', ['sub'])
export class SubjectLockoutEntity {
  /** What locked the subject out (an incident id): opaque to auth. */
  @PrimaryColumn({ type: 'varchar', length: 40 })
  ref: string;

  @Column({ type: 'varchar', length: 256 })
  sub: string;

  @Column({ type: 'timestamptz' })
  lockedAt: Date;

  @Column({ type: 'varchar', length: 256 })
  lockedBy: string;
}
