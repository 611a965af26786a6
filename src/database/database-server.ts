import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { Environment } from '../config/environment';
import {
  type RunningPostgres,
  startEmbeddedPostgres,
} from './embedded-postgres';

/** The zero-setup server: under `.data/` in the project, on a port of its own. */
export const EMBEDDED_POSTGRES = {
  dataDir: join(__dirname, '..', '..', '.data', 'postgres'),
  port: 54329,
  database: 'balance',
};

/** Where the service's PostgreSQL is: the configured one, or else the embedded one, started. */
@Injectable()
export class DatabaseServer implements OnApplicationShutdown {
  constructor(
    readonly url: string,
    private readonly embedded?: RunningPostgres,
  ) {}

  static async resolve(
    environment: Pick<Environment, 'DATABASE_URL'>,
  ): Promise<DatabaseServer> {
    if (environment.DATABASE_URL) {
      return new DatabaseServer(environment.DATABASE_URL);
    }
    const embedded = await startEmbeddedPostgres(EMBEDDED_POSTGRES);
    return new DatabaseServer(embedded.url, embedded);
  }

  /** Stops the embedded server if this process started it; runs after the pool has closed. */
  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
  }
}
