import type { AppConfig, JobName } from '../config/index.js';

/**
 * Every schedule of the service, in one place. The spec's five tasks take their cron from
 * config (JOB_<NAME>_CRON); the report cadences of the compliance issue are fixed here.
 */
export function jobSchedules(config: AppConfig): Record<string, string> {
  const spec: Record<JobName, string> = config.jobs.schedules;
  return {
    ...spec,
    generate_compliance_report: '0 0 7 1 * *', // monthly, 1st at 07:00
    generate_access_review: '0 0 8 1 1,4,7,10 *', // quarterly
    generate_annual_assessment: '0 0 9 2 1 *', // yearly, 2 January
  };
}
