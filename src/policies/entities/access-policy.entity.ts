import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type PolicyCapability = 'read_value' | 'list';

/**
 * Grants `reader` callers capabilities on the secrets its selectors match (src/policies/README.md).
 * Selectors combine with AND; an empty selector matches any secret.
 */
@Entity('access_policies')
@Index('access_policies_name_key', ['name'], { unique: true })
export class AccessPolicyEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  /** `sub:<v>`, `role:<v>`, `group:<v>` or `azp:<v>` (stored normalized). */
  @Column({ type: 'jsonb' })
  subjects: string[];

  @Column({ type: 'varchar', length: 128, nullable: true })
  namePrefix: string | null;

  @Column({ type: 'jsonb', default: {} })
  tags: Record<string, string>;

  @Column({ type: 'jsonb', default: [] })
  secretTypes: string[];

  @Column({ type: 'jsonb', default: [] })
  secretIds: string[];

  @Column({ type: 'jsonb' })
  capabilities: PolicyCapability[];

  @Column({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'varchar', length: 256 })
  createdBy: string;

  @Column({ type: 'timestamptz' })
  updatedAt: Date;

  @Column({ type: 'varchar', length: 256 })
  updatedBy: string;
}
