import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { Audited } from '../audit-log/audited.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { BackupsService } from './backups.service.js';
import { BackupListDto, BackupSummaryDto } from './dto/backup.dto.js';

/** /api/v1/backups: encrypted, signed backup bundles in BACKUP_DIR (src/backups/README.md). */
@ApiTags('backups')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or invalid token' })
@ApiResponse({ status: 403, description: 'Role not allowed' })
@Controller('api/v1/backups')
export class BackupsController {
  constructor(private readonly backups: BackupsService) {}

  @Post()
  @HttpCode(201)
  @Roles('admin')
  // Not one transaction: a backup reads page by page and writes a file; the row records it.
  @Audited(AuditAction.BackupCreated, { transactional: false })
  @ApiOperation({ summary: 'Write a backup bundle: metadata, versions, values encrypted to BACKUP_RECIPIENTS, signed' })
  @ApiResponse({ status: 201, type: BackupSummaryDto })
  @ApiResponse({ status: 409, description: 'BACKUP_RECIPIENTS is not set' })
  create(): Promise<BackupSummaryDto> {
    return this.backups.create();
  }

  @Get()
  @Roles('admin', 'auditor')
  @Audited(AuditAction.BackupsListed)
  @ApiOperation({ summary: 'Bundles in BACKUP_DIR, newest first, with size, counts and SHA-256' })
  @ApiResponse({ status: 200, type: BackupListDto })
  list(): Promise<BackupListDto> {
    return this.backups.list();
  }
}
