import { Module } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { ALERT_DELIVERY_OPTIONS, type AlertDeliveryOptions, AlertDeliveryWorker } from './alert-delivery.worker.js';
import { AlertsController } from './alerts.controller.js';
import { AlertsService } from './alerts.service.js';
import { SecurityAlerts } from './security-alerts.js';

/**
 * Security alerts: a module that raises them imports this one and injects the `SecurityAlerts` port; AlertsService stores the alert
 * and AlertDeliveryWorker POSTs it to ALERT_WEBHOOK_URLS in the background.
 */
@Module({
  controllers: [AlertsController],
  providers: [
    {
      provide: ALERT_DELIVERY_OPTIONS,
      inject: [AppConfig],
      // Retry backoff base: ALERT_RETRY_BASE_DELAY_MS (default 1 s), real time on purpose.
      useFactory: (config: AppConfig): Partial<AlertDeliveryOptions> => ({ retryBaseMs: config.alerts.retryBaseDelayMs }),
    },
    AlertDeliveryWorker,
    AlertsService,
    { provide: SecurityAlerts, useExisting: AlertsService },
  ],
  exports: [SecurityAlerts],
})
export class AlertsModule {}
