import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject } from 'class-validator';
import { CreateSecretDto } from './create-secret.dto.js';

/** Items are validated one by one by the service, so one bad item does not fail the others. */
export class BulkCreateSecretsDto {
  @ApiProperty({ type: [CreateSecretDto], maxItems: 1000 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsObject({ each: true })
  secrets: Record<string, unknown>[];
}

export class BulkItemResultDto {
  @ApiProperty() index: number;
  @ApiProperty({ enum: ['created', 'error'] }) status: 'created' | 'error';
  @ApiProperty({ required: false }) id?: string;
  @ApiProperty({ required: false }) name?: string;
  @ApiProperty({ required: false }) error?: string;
}

export class BulkCreateResultDto {
  @ApiProperty() created: number;
  @ApiProperty() failed: number;
  @ApiProperty({ type: [BulkItemResultDto] }) results: BulkItemResultDto[];
}
