import { Init1796002882711 } from './1796002882711-Init.js';
import { AuditAppendOnly1796100000000 } from './1796100000000-AuditAppendOnly.js';
import { AuthFailureWindows1796200000003 } from './1796200000003-AuthFailureWindows.js';
import { ReportDedupKey1796200000004 } from './1796200000004-ReportDedupKey.js';
import { KeyChecks1796200000005 } from './1796200000005-KeyChecks.js';
import { AuditSealer1796200000008 } from './1796200000008-AuditSealer.js';
import { RotationFailureCause1796200000014 } from './1796200000014-RotationFailureCause.js';
import { AccessPolicies1796300000021 } from './1796300000021-AccessPolicies.js';

/** Migrations in order. Generate new ones with `npm run migration:generate -- <Name>`. */
export const MIGRATIONS: Function[] = [
  Init1796002882711,
  AuditAppendOnly1796100000000,
  AuthFailureWindows1796200000003,
  ReportDedupKey1796200000004,
  KeyChecks1796200000005,
  AuditSealer1796200000008,
  RotationFailureCause1796200000014,
  AccessPolicies1796300000021,
];
