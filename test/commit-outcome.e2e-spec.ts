import { Sequelize } from 'sequelize';
import { OutcomeUnknownError } from '../src/common/common.errors';
import { commitOutcomeHooks } from '../src/database/commit-outcome';
import { createTestDatabase, type TestDatabase } from './utils/test-database';

/**
 * A notice during COMMIT is what PostgreSQL sends when a COMMIT's wait for the synchronous
 * standby is cancelled; here a deferred constraint trigger raises one at COMMIT, on a server
 * without standbys. The failover reliability test cancels a real wait.
 */
describe('a notice during COMMIT', () => {
  let database: TestDatabase;
  let sequelize: Sequelize;

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.query(`
      CREATE TABLE noted (id int, warn boolean);
      CREATE FUNCTION warn_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.warn THEN
          RAISE WARNING 'canceling wait for synchronous replication due to user request';
        END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER warn_at_commit AFTER INSERT ON noted
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION warn_at_commit();`);
    sequelize = new Sequelize(database.url, {
      logging: false,
      hooks: commitOutcomeHooks,
      pool: { max: 1, min: 0 },
    });
  });

  afterAll(async () => {
    await sequelize?.close();
    await database?.drop();
  });

  const backend = async () =>
    (
      (await sequelize.query('SELECT pg_backend_pid() AS pid', {
        plain: true,
      })) as { pid: number }
    ).pid;

  const insert = (id: number, warn: boolean) =>
    sequelize.transaction((transaction) =>
      sequelize.query('INSERT INTO noted VALUES ($1, $2)', {
        bind: [id, warn],
        transaction,
      }),
    );

  it('fails the transaction as OUTCOME_UNKNOWN and discards the connection', async () => {
    const before = await backend();
    await expect(insert(1, true)).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(await backend()).not.toBe(before);
    // Committed locally all the same: that is why the outcome is unknown, not a refusal.
    expect(await database.query('SELECT id FROM noted')).toEqual([{ id: 1 }]);
  });

  it('leaves a COMMIT without a notice, and a notice outside COMMIT, alone', async () => {
    const before = await backend();
    await insert(2, false);
    await sequelize.query(
      "DO $$ BEGIN RAISE WARNING 'not during a commit'; END $$",
    );
    expect(await backend()).toBe(before);
  });
});
