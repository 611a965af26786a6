import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createMigrationConnection,
  createMigrator,
  FUNCTIONS_DIR,
  migrate,
} from '../../src/database/migrator';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';

/** The last dated migration of the schema before functions moved to db/functions. */
const BEFORE_FUNCTIONS_MOVED = '2026.12.02T09.00.00.refuse-before-lock';

/** Each file's function: its name and its body, the text between the dollar quotes. */
const FILES = readdirSync(FUNCTIONS_DIR)
  .filter((file) => file.endsWith('.sql'))
  .map((file) => {
    const text = readFileSync(join(FUNCTIONS_DIR, file), 'utf8');
    return { name: file.replace(/\.sql$/, ''), body: text.split('$$')[1] };
  })
  .sort((a, b) => a.name.localeCompare(b.name));

async function migrateDatabase(url: string, upTo?: string): Promise<string[]> {
  const connection = createMigrationConnection(url);
  const lines: string[] = [];
  try {
    if (upTo) {
      await createMigrator(connection).up({ to: upTo });
    } else {
      await migrate(connection, (line) => lines.push(line));
    }
  } finally {
    await connection.close();
  }
  return lines;
}

/** The functions of the schema, as PostgreSQL keeps them. */
function functionsOf(database: TestDatabase) {
  return database.query<{ name: string; body: string }>(
    `SELECT p.proname AS name, p.prosrc AS body FROM pg_proc p
     JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public' ORDER BY p.proname`,
  );
}

describe('migrations', () => {
  let database: TestDatabase;
  afterEach(() => database?.drop());

  it('leaves a fresh database with exactly the functions of db/functions, each as its file says', async () => {
    database = await createTestDatabase();
    const lines = await migrateDatabase(database.url);
    expect(await functionsOf(database)).toEqual(FILES);
    expect(lines).toEqual(
      expect.arrayContaining(
        FILES.map(({ name }) => `Applied function ${name}`),
      ),
    );
  });

  it('moves a database migrated before functions moved to db/functions to them at its next start, keeping its data', async () => {
    database = await createTestDatabase();
    await migrateDatabase(database.url, BEFORE_FUNCTIONS_MOVED);
    const [{ user_id }] = await database.query<{ user_id: number }>(
      'SELECT user_id FROM ledger_open_account(70)',
    );
    await migrateDatabase(database.url);
    expect(await functionsOf(database)).toEqual(FILES);
    const [change] = await database.query<{ outcome: string; balance: number }>(
      'SELECT outcome, balance FROM ledger_change_balance($1, -20)',
      [user_id],
    );
    expect(change).toEqual({ outcome: 'applied', balance: 50 });
  });

  it('gives a database migrated before the change feed an event for each change it had, in the order they happened', async () => {
    database = await createTestDatabase();
    await migrateDatabase(database.url, BEFORE_FUNCTIONS_MOVED);
    await database.query('SELECT ledger_open_account(100)');
    await database.query('SELECT ledger_change_balance(1, -10)');
    await database.query('SELECT ledger_place_hold(1, 20, 3600)');
    await database.query('SELECT ledger_place_hold(1, 5, 3600)');
    await database.query('SELECT ledger_capture_hold(1, 15)');
    await database.query('SELECT ledger_void_hold(2)');
    await migrateDatabase(database.url);
    expect(
      await database.query(
        'SELECT type, transaction_id, hold_id FROM events ORDER BY xid, id',
      ),
    ).toEqual([
      { type: 'opening', transaction_id: 1, hold_id: null },
      { type: 'debit', transaction_id: 2, hold_id: null },
      { type: 'hold_placed', transaction_id: null, hold_id: 1 },
      { type: 'hold_placed', transaction_id: null, hold_id: 2 },
      { type: 'capture', transaction_id: 3, hold_id: null },
      { type: 'hold_captured', transaction_id: null, hold_id: 1 },
      { type: 'hold_voided', transaction_id: null, hold_id: 2 },
    ]);
  });

  it('re-applies a function whose recorded text differs from its file, and only that one', async () => {
    database = await createTestDatabase();
    await migrateDatabase(database.url);
    expect(await migrateDatabase(database.url)).toEqual([]);
    await database.query(
      `CREATE OR REPLACE FUNCTION hold_status(p_status text, p_expires_at timestamptz, p_at timestamptz)
       RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'stale' $$`,
    );
    await database.query(
      "UPDATE schema_functions SET sha256 = 'an older text' WHERE name = 'hold_status'",
    );
    expect(await migrateDatabase(database.url)).toEqual([
      'Applied function hold_status',
    ]);
    expect(await functionsOf(database)).toEqual(FILES);
  });

  it('lets instances that start at the same moment take turns: both succeed, each function applied once', async () => {
    database = await createTestDatabase();
    const [first, second] = await Promise.all([
      migrateDatabase(database.url),
      migrateDatabase(database.url),
    ]);
    expect(
      [...first, ...second].filter((line) =>
        line.startsWith('Applied function'),
      ),
    ).toHaveLength(FILES.length);
    expect(await functionsOf(database)).toEqual(FILES);
  });
});
