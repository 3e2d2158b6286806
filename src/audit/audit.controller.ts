import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles.decorator.js';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { AuditEvents } from './audit-events.service.js';
import { AuditExporter } from './audit-export.service.js';
import { annotateAudit } from '../audit-log/audit-scope.js';
import { AuditVerifier } from './audit-verifier.service.js';
import { Audited } from '../audit-log/audited.decorator.js';
import { AuditSigner } from './checkpoints/audit-signer.js';
import { AuditEventListDto } from './dto/audit-event.dto.js';
import { AuditEventsQuery, AuditExportQuery, FindingsQuery } from './dto/audit-queries.dto.js';
import { AuditPublicKeyDto, AuditVerifyResultDto } from './dto/audit-verify.dto.js';
import { FindingListDto } from './dto/finding.dto.js';
import { SecurityFindings } from './findings/security-findings.service.js';

/** /api/v1/audit: reading, exporting and verifying the audit log is itself audited. */
@ApiTags('audit')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or invalid token' })
@ApiResponse({ status: 403, description: 'Role not allowed' })
@Controller('api/v1/audit')
export class AuditController {
  constructor(
    private readonly events: AuditEvents,
    private readonly exporter: AuditExporter,
    private readonly verifier: AuditVerifier,
    private readonly signer: AuditSigner,
    private readonly findings: SecurityFindings,
  ) {}

  @Get('events')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.AuditEventsRead)
  @ApiOperation({ summary: 'Audit events, newest first; filter by actor, action, secret_id, outcome, from/to' })
  @ApiResponse({ status: 200, type: AuditEventListDto })
  list(@Query() q: AuditEventsQuery): Promise<AuditEventListDto> {
    return this.events.list(q);
  }

  @Get('export')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.AuditExported)
  @ApiOperation({
    summary: 'Stream the audit log: JSON Lines with hashes and signed checkpoints (default), or CSV (format=csv)',
    description: 'Verify a JSON Lines export offline with: npm run audit:verify -- FILE --public-key KEY',
  })
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiResponse({ status: 200, description: 'The export, streamed' })
  async export(@Query() q: AuditExportQuery): Promise<StreamableFile> {
    const opened = await this.exporter.open(q);
    return new StreamableFile(opened.stream, { type: opened.contentType, disposition: `attachment; filename="${opened.filename}"` });
  }

  @Get('verify')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.AuditVerified)
  @ApiOperation({ summary: 'Verify the hash chain and the newest signed checkpoint in the database' })
  @ApiResponse({ status: 200, type: AuditVerifyResultDto })
  async verify(): Promise<AuditVerifyResultDto> {
    const v = await this.verifier.verifyChain();
    annotateAudit({ details: { valid: v.valid, checked: v.checked, first_invalid_id: v.first_invalid_id, unsealed: v.unsealed } });
    return { valid: v.valid, checked: v.checked, first_invalid_id: v.first_invalid_id, reason: v.reason, unsealed: v.unsealed };
  }

  @Get('public-key')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.AuditPublicKeyRead)
  @ApiOperation({ summary: 'The Ed25519 public key (PEM) that verifies checkpoint signatures offline' })
  @ApiResponse({ status: 200, type: AuditPublicKeyDto })
  publicKey(): AuditPublicKeyDto {
    return { algorithm: 'Ed25519', key_id: this.signer.keyId, public_key_pem: this.signer.publicKeyPem };
  }

  @Get('findings')
  @Roles('admin', 'auditor')
  @Audited(AuditAction.FindingsRead)
  @ApiOperation({ summary: 'Open security findings (access patterns, integrity, chain), newest first' })
  @ApiResponse({ status: 200, type: FindingListDto })
  listFindings(@Query() q: FindingsQuery): Promise<FindingListDto> {
    return this.findings.listOpen(q.limit ?? 50, q.cursor, q.kind);
  }
}
