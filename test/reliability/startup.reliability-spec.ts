import { randomBytes } from 'node:crypto';
import { spawnInstance, startInstance } from '../utils/instance';
import {
  createTestDatabase,
  databaseAt,
  type TestDatabase,
} from '../utils/test-database';

/** The production build's start-up, as a process: what it says, and how it refuses to start. */
describe('start-up of the production build', () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await database?.drop();
  });

  it('says once where it listens and which database it uses, without its password', async () => {
    // A role of its own, so that the password is one that appears nowhere else.
    const role = `${database.name}_owner`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const server = new URL(database.url);
    server.pathname = '/postgres';
    const admin = databaseAt(server.toString());
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    try {
      await admin.query(`ALTER DATABASE ${database.name} OWNER TO ${role}`);
      const url = new URL(database.url);
      url.username = role;
      url.password = password;
      const instance = await startInstance(url.toString(), {
        LOG_LEVEL: 'info',
      });
      await instance.stop();
      const listening = instance
        .output()
        .split('\n')
        .filter((line) => line.includes('Listening on'))
        .map((line) => JSON.parse(line) as { level: number; msg: string });
      expect(listening).toHaveLength(1);
      expect(listening[0].level).toBe(30);
      // Every interface, as Node binds by default: IPv6 where the machine has it.
      const { port } = new URL(instance.url);
      const uses = `(PostgreSQL: ${url.hostname}:${url.port || 5432}/${database.name})`;
      expect([
        `Listening on http://[::]:${port} ${uses}`,
        `Listening on http://0.0.0.0:${port} ${uses}`,
      ]).toContain(listening[0].msg);
      expect(instance.output()).not.toContain(password);
    } finally {
      await database.drop();
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
    }
  });

  it('refuses to start when a migration fails, and says which', async () => {
    // A table in the way makes the first migration fail.
    await database.query('CREATE TABLE users (id integer)');
    const instance = await spawnInstance(database.url);
    expect(await instance.exited).toBe(1);
    expect(instance.output()).toMatch(
      /Start-up failed: Migration \S+create-users \(up\) failed/,
    );
    expect(instance.output()).toMatch(/relation "users" already exists/);
  });

  it('refuses to start on invalid configuration, with one line naming the variable', async () => {
    const instance = await spawnInstance(database.url, { DB_POOL_MAX: 'many' });
    expect(await instance.exited).toBe(1);
    expect(instance.output().trim().split('\n')).toEqual([
      expect.stringMatching(
        /^Start-up failed: Invalid configuration: DB_POOL_MAX must be/,
      ),
    ]);
    // Nothing happened before the refusal: not even a migration.
    expect(
      await database.query("SELECT to_regclass('users') AS users"),
    ).toEqual([{ users: null }]);
  });
});
