import { randomBytes } from 'node:crypto';
import { Client, type QueryResultRow, TypeOverrides, types } from 'pg';

const PREFIX = 'balance_test_';

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

function serverUrl(database: string): string {
  const url = new URL(
    process.env.TEST_DATABASE_URL ??
      'postgres://postgres@127.0.0.1:5432/postgres',
  );
  url.pathname = `/${database}`;
  return url.toString();
}

/** BIGINTs as numbers, as the service reads them (its schema keeps them within 2^53). */
const numericBigints = new TypeOverrides();
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
 * A fresh, empty database on the test server, for one test file. Only databases made here
 * (named with the test prefix) are ever dropped.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = serverUrl('postgres');
  await withClient(admin, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = serverUrl(name);
  return {
    name,
    url,
    ...databaseAt(url),
    drop: async () => {
      if (!name.startsWith(PREFIX)) {
        throw new Error(`Refusing to drop ${name}: not a test database`);
      }
      await withClient(admin, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
    },
  };
}
