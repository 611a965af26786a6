import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { Environment } from '../config/environment';
import {
  type RunningPostgres,
  startEmbeddedPostgres,
} from './embedded-postgres';

/** The zero-setup server: under `.data/` in the project, on a port of its own. */
const EMBEDDED_POSTGRES = {
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

  /**
   * Which server this is, for the start-up line: never the URL itself, which may carry a
   * password.
   */
  describe(): string {
    const url = parseUrl(this.url);
    if (!url) return 'the server of DATABASE_URL';
    const port = url.port || '5432';
    if (this.embedded) {
      return this.embedded.dataDir
        ? `embedded, data ${this.embedded.dataDir}, port ${port}`
        : `embedded, already running on port ${port}`;
    }
    // As Sequelize and pg read a URL: ?host= (a socket directory, say) wins over the host part,
    // and the database defaults to the user's name.
    const host = url.searchParams.get('host') || url.hostname || 'localhost';
    const database = decodeURIComponent(url.pathname.slice(1) || url.username);
    return `${host}:${port}/${database}`;
  }

  /** Stops the embedded server if this process started it; runs after the pool has closed. */
  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
  }
}

/**
 * WHATWG URLs refuse a user without a host (`postgres://app@/balance?host=/run/postgresql`),
 * which pg and Sequelize accept; and a line of the log must not stop a started service.
 */
function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url.replace('@/', '@localhost/'));
  } catch {
    return undefined;
  }
}
