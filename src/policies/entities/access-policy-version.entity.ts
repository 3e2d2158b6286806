import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row whose `version` every policy change increments in the change's transaction: each
 * replica compares it with the version of its cached policies (see PolicyCache).
 */
@Entity('access_policies_version')
export class AccessPoliciesVersionEntity {
  @PrimaryColumn({ type: 'smallint' })
  id: number;

  @Column({ type: 'bigint', default: 0 })
  version: string;
}
