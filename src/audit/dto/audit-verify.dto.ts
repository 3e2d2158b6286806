import { ApiProperty } from '@nestjs/swagger';

export class AuditVerifyResultDto {
  @ApiProperty() valid: boolean;
  @ApiProperty({ description: 'Rows whose hash and link were checked and found good' }) checked: number;
  @ApiProperty({ nullable: true, type: String, description: 'seq of the first bad (or first missing) row' }) first_invalid_id: string | null;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({ description: 'Rows committed but not yet sealed when the check ran (checked by the next one)' }) unsealed: number;
}

export class AuditPublicKeyDto {
  @ApiProperty({ example: 'Ed25519' }) algorithm: string;
  @ApiProperty({ description: 'key_id carried by every checkpoint signed with this key' }) key_id: string;
  @ApiProperty({ description: 'SPKI PEM; pass to npm run audit:verify -- FILE --public-key KEY' }) public_key_pem: string;
}
