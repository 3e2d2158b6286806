import { Injectable } from '@nestjs/common';
import { Clock } from '../../clock/clock.js';
import { UnitOfWork } from '../../database/unit-of-work.js';
import type { SecretStatsDto } from '../dto/secret-stats.dto.js';
import { findingCounts, inventory, liveSecretsBy, type GroupCount } from '../shared/posture.queries.js';
import { oldestRotation, rotationWindows, valueReadsLast24h } from './secret-stats.queries.js';

const asMap = (groups: GroupCount[]) => Object.fromEntries(groups.map((g) => [g.key, g.count]));

/** GET /api/v1/secrets/stats: a handful of aggregate queries, nothing loaded row by row. */
@Injectable()
export class SecretStatsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  async stats(): Promise<SecretStatsDto> {
    const db = this.uow.manager();
    const now = this.clock.now();
    const [inv, byType, byStore, byStatus, windows, reads, oldest, findings] = await Promise.all([
      inventory(db, now),
      liveSecretsBy(db, 'secret_type'),
      liveSecretsBy(db, 'store'),
      liveSecretsBy(db, 'rotation_status'),
      rotationWindows(db, now),
      valueReadsLast24h(db, now),
      oldestRotation(db),
      findingCounts(db, { from: now, to: now }),
    ]);
    const age = oldest ? Math.max(0, Math.floor((now.getTime() - oldest.since.getTime()) / 1000)) : null;
    return {
      generated_at: now.toISOString(),
      total: inv.total,
      by_type: asMap(byType),
      by_store: asMap(byStore),
      by_rotation_status: asMap(byStatus),
      expired: inv.expired,
      expiring_within_7_days: inv.expiring7d,
      expiring_within_30_days: inv.expiring30d,
      rotation_overdue: inv.rotationOverdue,
      rotations: { last_24h: windows.last24h, last_7d: windows.last7d, last_30d: windows.last30d },
      value_reads_last_24h: reads,
      oldest_rotation_age_seconds: age,
      oldest_rotation: oldest && age !== null ? { secret_id: oldest.id, secret_name: oldest.name, since: oldest.since.toISOString(), age_seconds: age } : null,
      open_security_findings: { total: findings.open, critical: findings.openCritical, warning: findings.openWarning, info: findings.openInfo },
    };
  }
}
