import { ApiProperty } from '@nestjs/swagger';
import { TaskAcceptedDto } from '../../tasks/dto/task-status.dto.js';

export class IntegrityCheckAcceptedDto extends TaskAcceptedDto {
  @ApiProperty() check_id: string;
}
