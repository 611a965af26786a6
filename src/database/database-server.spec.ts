import { DatabaseServer } from './database-server';

describe('DatabaseServer.describe', () => {
  it('names the host, port and database of a configured server, never its credentials', () => {
    const server = new DatabaseServer(
      'postgres://balance:s3cret-pw@db.example:6432/balance',
    );
    expect(server.describe()).toBe('db.example:6432/balance');
  });

  it("fills in what pg would: port 5432, and the user's name as the database", () => {
    expect(new DatabaseServer('postgres://app:pw@db.example').describe()).toBe(
      'db.example:5432/app',
    );
  });

  it('reads a socket directory given as ?host=, and an IPv6 host', () => {
    expect(
      new DatabaseServer(
        'postgresql://app@/balance?host=/var/run/postgresql',
      ).describe(),
    ).toBe('/var/run/postgresql:5432/balance');
    expect(new DatabaseServer('postgres://[::1]:5433/b').describe()).toBe(
      '[::1]:5433/b',
    );
  });

  it('names the data directory and port of the embedded server it started', () => {
    const url = 'postgres://postgres:postgres@127.0.0.1:54329/balance';
    const stop = () => Promise.resolve();
    expect(
      new DatabaseServer(url, {
        url,
        dataDir: '/srv/app/.data/postgres',
        stop,
      }).describe(),
    ).toBe('embedded, data /srv/app/.data/postgres, port 54329');
    expect(new DatabaseServer(url, { url, stop }).describe()).toBe(
      'embedded, already running on port 54329',
    );
  });
});
