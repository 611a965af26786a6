import { Module } from '@nestjs/common';
import { ApiKeyMiddleware } from './api-key.middleware';

/** The API-key check, mounted by `setUpApp` ahead of everything that routes or reads a body. */
@Module({
  providers: [ApiKeyMiddleware],
  exports: [ApiKeyMiddleware],
})
export class SecurityModule {}
