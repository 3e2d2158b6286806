import { ApiProperty } from '@nestjs/swagger';

export class BackupCountsDto {
  @ApiProperty() secrets: number;
  @ApiProperty() versions: number;
  @ApiProperty({ description: 'Versions with a value (not destroyed)' }) values: number;
}

/** One bundle in BACKUP_DIR, as its manifest describes it. Never a value. */
export class BackupSummaryDto {
  @ApiProperty() id: string;
  @ApiProperty() created_at: string;
  @ApiProperty({ description: 'File name in BACKUP_DIR' }) file: string;
  @ApiProperty({ description: 'Bytes' }) size: number;
  @ApiProperty({ type: BackupCountsDto }) counts: BackupCountsDto;
  @ApiProperty({ description: 'Hex SHA-256 of the whole file (as sha256sum prints it)' }) sha256: string;
  @ApiProperty({ description: 'Audit signing key that signed the bundle' }) key_id: string;
  @ApiProperty({ nullable: true, type: String, description: 'Audit chain head seq at backup time' }) audit_head_seq: string | null;
}

export class BackupListDto {
  @ApiProperty({ type: [BackupSummaryDto], description: 'Newest first' }) items: BackupSummaryDto[];
}
