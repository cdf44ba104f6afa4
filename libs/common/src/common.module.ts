import { Global, Module } from '@nestjs/common';
import { SecretCipher } from './crypto/secret-cipher.js';

@Global()
@Module({
  providers: [SecretCipher],
  exports: [SecretCipher],
})
export class CommonModule {}
