import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { ALERT_DELIVERY_OPTIONS, type AlertDeliveryOptions, AlertDeliveryWorker } from './alert-delivery.worker.js';
import { AlertsController } from './alerts.controller.js';
import { AlertsService } from './alerts.service.js';
import { SecurityAlerts } from './security-alerts.js';

/**
 * Security alerts: any module injects the `SecurityAlerts` port; AlertsService stores the alert
 * and AlertDeliveryWorker POSTs it to ALERT_WEBHOOK_URLS in the background.
 */
@Global()
@Module({
  controllers: [AlertsController],
  providers: [
    {
      provide: ALERT_DELIVERY_OPTIONS,
      inject: [AppConfig],
      // Retry backoff starts at 1 s. Under NODE_ENV=test it starts at 50 ms so e2e tests see
      // a delivery that failed twice succeed within a second (the retry wait is real time; the
      // injected test clock cannot shorten it). There is no environment variable for this.
      useFactory: (config: AppConfig): Partial<AlertDeliveryOptions> => ({ retryBaseMs: config.nodeEnv === 'test' ? 50 : 1000 }),
    },
    AlertDeliveryWorker,
    AlertsService,
    { provide: SecurityAlerts, useExisting: AlertsService },
  ],
  exports: [SecurityAlerts],
})
export class AlertsModule {}
