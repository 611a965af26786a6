import { randomBytes } from 'node:crypto';
import { Client, type QueryResultRow, TypeOverrides, types } from 'pg';

const DEFAULT_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';
const TEST_PREFIX = 'balance_test_';

export interface Queryable {
  /** Runs one query on the database, on a connection of its own. */
  query<Row extends QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<Row[]>;
}

export interface TestDatabase extends Queryable {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export interface ScratchDatabaseOptions {
  /** Any URL on the server; its database part is ignored. Default: TEST_DATABASE_URL. */
  server?: string;
  /** Names start with it; only databases with this prefix are ever dropped. */
  prefix?: string;
}

function databaseUrl(server: string, database: string): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

/** BIGINTs as numbers, as the service reads them (its schema keeps them within 2^53). */
export const numericBigints = new TypeOverrides();
numericBigints.setTypeParser(types.builtins.INT8, Number);

async function withClient<T>(
  url: string,
  use: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ connectionString: url, types: numericBigints });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Queries on the database at `url`, one connection per query. */
export function databaseAt(url: string): Queryable {
  return {
    query: async <Row extends QueryResultRow>(
      sql: string,
      params?: unknown[],
    ) =>
      withClient(
        url,
        async (client) => (await client.query<Row>(sql, params)).rows,
      ),
  };
}

/**
 * A fresh, empty database on the test server, for one test file (or one benchmark run). Only
 * databases made here (named with the prefix) are ever dropped.
 */
export async function createTestDatabase({
  server = process.env.TEST_DATABASE_URL ?? DEFAULT_SERVER,
  prefix = TEST_PREFIX,
}: ScratchDatabaseOptions = {}): Promise<TestDatabase> {
  const name = `${prefix}${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = databaseUrl(server, 'postgres');
  await withClient(admin, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(server, name);
  return {
    name,
    url,
    ...databaseAt(url),
    drop: async () => {
      if (!name.startsWith(prefix)) {
        throw new Error(`Refusing to drop ${name}: not a test database`);
      }
      await withClient(admin, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
    },
  };
}
