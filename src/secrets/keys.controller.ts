import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../audit-log/audit-catalogue.js';
import { Audited } from '../audit-log/audited.decorator.js';
import type { Actor } from '../auth/auth.types.js';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { TaskAcceptedDto } from '../tasks/dto/task-status.dto.js';
import { KeyRewrapService } from './key-rewrap.service.js';

@ApiTags('keys')
@ApiBearerAuth()
@Controller('api/v1/secrets/keys')
export class KeysController {
  constructor(private readonly rewrap: KeyRewrapService) {}

  @Post('rewrap')
  @HttpCode(202)
  @Audited(AuditAction.KeyRewrapRequested)
  @ApiOperation({
    summary: 'Re-wrap every data key under the current LOCAL_ENCRYPTION_KEY, in the background',
    description: 'After the task completes, keys listed in LOCAL_ENCRYPTION_KEYS_PREVIOUS are no longer needed.',
  })
  @ApiResponse({ status: 202, type: TaskAcceptedDto })
  start(@CurrentActor() actor: Actor): Promise<TaskAcceptedDto> {
    return this.rewrap.start(actor);
  }
}
