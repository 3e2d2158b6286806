import { Module } from '@nestjs/common';
import { SecretCipher } from './secret-cipher.service.js';

@Module({ providers: [SecretCipher], exports: [SecretCipher] })
export class CryptoModule {}
