import { IsOmittable } from '../../common/input-limits.js';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { SECRET_TYPES } from '../../crypto/index.js';

/** Which secrets to rotate: by type, by ids, or by tag (exactly one of them). */
export class BulkRotateDto {
  @ApiPropertyOptional({ enum: SECRET_TYPES })
  @IsOmittable()
  @IsIn(SECRET_TYPES as unknown as string[])
  secret_type?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 100_000 })
  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100_000)
  @Matches(/^sec_[A-Za-z0-9_-]{16}$/, { each: true, message: 'ids must be secret ids' })
  ids?: string[];

  @ApiPropertyOptional({ example: 'environment:production' })
  @IsOmittable()
  @IsString()
  @Matches(/^[^:]{1,128}:.{0,128}$/, { message: 'tag must be key:value' })
  tag?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOmittable()
  @IsString()
  @MaxLength(500)
  reason?: string;
}
