import { Global, Injectable, Logger, Module } from '@nestjs/common';
import type { AlertInput } from './alert.types.js';
import { SecurityAlerts } from './security-alerts.js';

/** Until webhook delivery lands: alerts are log lines. */
@Injectable()
class LoggedAlerts extends SecurityAlerts {
  private readonly logger = new Logger('SecurityAlert');
  async raise(alert: AlertInput): Promise<void> {
    this.logger.warn({ alert: { kind: alert.kind, severity: alert.severity, details: alert.details } }, alert.summary);
  }
}

@Global()
@Module({ providers: [{ provide: SecurityAlerts, useClass: LoggedAlerts }], exports: [SecurityAlerts] })
export class AlertsModule {}
