import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Environment } from '../config/environment';
import { DatabaseServer } from './database-server';

/** Where PostgreSQL is, for the pool, the migrations and the change feed's listener. */
@Module({
  providers: [
    {
      provide: DatabaseServer,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        DatabaseServer.resolve({
          DATABASE_URL: config.get('DATABASE_URL', { infer: true }),
        }),
    },
  ],
  exports: [DatabaseServer],
})
export class DatabaseServerModule {}
