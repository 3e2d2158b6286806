import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { Audited } from '../audit-log/audited.decorator.js';
import type { Actor } from '../auth/auth.types.js';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { IntegrityCheckAcceptedDto } from './dto/integrity-check-accepted.dto.js';
import { IntegrityService } from './integrity.service.js';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/secrets/audit')
export class IntegrityController {
  constructor(private readonly integrity: IntegrityService) {}

  @Post('integrity-check')
  @HttpCode(202)
  @Audited(AuditAction.IntegrityCheckRequested)
  @ApiOperation({
    summary: 'Validate every version of every secret in the background',
    description: 'Follow status_url; the finished task result lists counts and every problem found.',
  })
  @ApiResponse({ status: 202, type: IntegrityCheckAcceptedDto })
  start(@CurrentActor() actor: Actor): Promise<IntegrityCheckAcceptedDto> {
    return this.integrity.start(actor);
  }
}
