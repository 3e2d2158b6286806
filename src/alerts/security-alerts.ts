import type { AlertInput } from './alert.types.js';

/**
 * Port for raising security alerts. Raising never blocks or fails the caller: delivery happens
 * in the background (see AlertsService).
 */
export abstract class SecurityAlerts {
  abstract raise(alert: AlertInput): Promise<void>;
}
