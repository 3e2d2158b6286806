import type { ChainVerdict } from '../audit/audit-chain.js';
import type { AuditVerifier } from '../audit/audit-verifier.service.js';

/**
 * What reports need of the audit module's verifier: a full verification of the hash chain (rows,
 * prune cut and signed checkpoints) in batches. Its side effects are the audit module's own: a
 * valid chain is checkpointed, a broken one raises a finding and an alert.
 */
export type ChainCheck = Pick<AuditVerifier, 'verifyChain'>;
export type AuditChainResult = ChainVerdict;
