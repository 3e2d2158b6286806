import type { AuditVerdict, AuditVerifier } from '../audit/audit-verifier.service.js';

/**
 * What reports need of the audit module's verifier: a full verification of the hash chain (rows,
 * prune cut and signed checkpoints) in batches. Its side effects are the audit module's own: a
 * valid chain is checkpointed, a broken one raises a finding and an alert.
 */
export type ChainCheck = Pick<AuditVerifier, 'verifyChain'>;
/** The sealed chain's verdict, with the rows not yet sealed at that moment (`unsealed`). */
export type AuditChainResult = AuditVerdict;
