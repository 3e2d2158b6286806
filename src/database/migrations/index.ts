import { Init1796002882711 } from './1796002882711-Init.js';
import { AuditAppendOnly1796100000000 } from './1796100000000-AuditAppendOnly.js';
import { AuditSealer1796200000008 } from './1796200000008-AuditSealer.js';

/** Migrations in order. Generate new ones with `npm run migration:generate -- <Name>`. */
export const MIGRATIONS: Function[] = [Init1796002882711, AuditAppendOnly1796100000000, AuditSealer1796200000008];
