import { fireBurst, type Outcome } from '../utils/burst';
import { freePort } from '../utils/free-port';
import { docker, IMAGE, run, sleep, waitHealthy } from './docker';

const PROJECT = `balance-test-${process.pid}`;
const SERVICES = ['postgres', 'pgbouncer', 'api-1', 'api-2'];

/**
 * The project's own docker-compose.yml, as `docker-compose` (v1, Debian's) runs it, on the
 * image under test (built beforehand: the build inside compose has no network here) and on
 * free host ports.
 *
 * The bursts go from the host to the replicas' addresses on the compose network, not to the
 * published ports: with dockerd run without iptables (as CI runs it), a published port is
 * Docker's userland proxy, which died under 5000 concurrent connections (every request then
 * reset). The published ports are checked with single requests.
 */
describe(`docker-compose.yml (project ${PROJECT}, image ${IMAGE})`, () => {
  const env: Record<string, string> = { BALANCE_SERVICE_IMAGE: IMAGE };
  const containers: Record<string, string> = {};
  /** The published ports of api-1 and api-2. */
  let urls: string[];

  /** api-1 and api-2 on the compose network. */
  const networkUrls = () =>
    Promise.all(
      ['api-1', 'api-2'].map(
        async (replica) =>
          `http://${await docker(
            'inspect',
            '-f',
            '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
            containers[replica],
          )}:3000`,
      ),
    );

  const compose = async (...args: string[]) => {
    const result = await run(
      'docker-compose',
      ['--project-name', PROJECT, '--file', 'docker-compose.yml', ...args],
      env,
    );
    if (result.code !== 0) {
      throw new Error(`docker-compose ${args.join(' ')}: ${result.stderr}`);
    }
    return result.stdout.trim();
  };

  /** One SQL statement run by psql in the postgres container; its rows, `|`-separated. */
  const sql = async (statement: string) =>
    (
      await docker(
        'exec',
        containers.postgres,
        'psql',
        '--username=balance',
        '--dbname=balance',
        '--no-align',
        '--tuples-only',
        '--command',
        statement,
      )
    )
      .split('\n')
      .filter(Boolean);

  const balanceAndLedger = async (userId: number) => {
    const [row] = await sql(
      `SELECT balance, (SELECT sum(amount) FROM balance_transactions WHERE user_id = ${userId})
       FROM users WHERE id = ${userId}`,
    );
    const [balance, ledger] = row.split('|').map(Number);
    return { balance, ledger };
  };

  const createUser = async (balance: number) => {
    const response = await fetch(`${urls[1]}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ balance }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: number }).id;
  };

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    env.API_1_PORT = String(ports[0]);
    env.API_2_PORT = String(ports[1]);
    urls = ports.map((port) => `http://127.0.0.1:${port}`);
    const started = Date.now();
    await compose('up', '--detach', '--no-build');
    for (const service of SERVICES) {
      containers[service] = await compose('ps', '--quiet', service);
    }
    for (const service of SERVICES) {
      await waitHealthy(containers[service], 90_000);
    }
    console.log(
      `compose: every service healthy ${Date.now() - started} ms after up`,
    );
  }, 180_000);

  afterAll(async () => {
    // Whatever a failed test left: the last test takes it down and checks that first.
    await run(
      'docker-compose',
      [
        '--project-name',
        PROJECT,
        '--file',
        'docker-compose.yml',
        'down',
        '--volumes',
      ],
      env,
    );
  });

  it('brings every service up healthy, the replicas on the image under test', async () => {
    for (const service of SERVICES) {
      expect(
        await docker(
          'inspect',
          '-f',
          '{{.State.Health.Status}}',
          containers[service],
        ),
      ).toBe('healthy');
    }
    for (const replica of ['api-1', 'api-2']) {
      expect(
        await docker('inspect', '-f', '{{.Config.Image}}', containers[replica]),
      ).toBe(IMAGE);
    }
    for (const url of urls) {
      expect((await fetch(`${url}/health`)).status).toBe(200);
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
    }
  });

  it('serves the acceptance burst split across both replicas through PgBouncer exactly', async () => {
    const targets = await networkUrls();
    const burst = await fireBurst(
      targets,
      '/users/1/balance',
      { amount: -2 },
      10_000,
    );
    console.log(
      `compose burst over ${targets.join(' and ')}: ${Math.round(burst.wallMs)} ms`,
      burst.counts,
    );
    expect(burst.counts).toEqual({
      '200': 5_000,
      '409 INSUFFICIENT_FUNDS': 5_000,
    });
    expect(await balanceAndLedger(1)).toEqual({ balance: 0, ledger: 0 });
    // Each replica answered its half, and served some of the debits.
    for (const replica of [0, 1]) {
      const answered = burst.outcomes.filter((_, i) => i % 2 === replica);
      expect(
        answered.filter((outcome) => outcome.status === 200).length,
      ).toBeGreaterThan(0);
    }
    for (const replica of ['api-1', 'api-2']) {
      expect(
        await docker(
          'inspect',
          '-f',
          '{{.State.Health.Status}}',
          containers[replica],
        ),
      ).toBe('healthy');
    }
  });

  it('keeps every acknowledged debit when a replica is killed mid-burst and restarts', async () => {
    const userId = await createUser(10_000);
    const path = `/users/${userId}/balance`;
    const restartsBefore = Number(
      await docker('inspect', '-f', '{{.RestartCount}}', containers['api-1']),
    );
    // Debits of 1 that all fit: anything but a 200 is a request the kill cut off.
    const first = fireBurst(await networkUrls(), path, { amount: -1 }, 6_000);
    while ((await balanceAndLedger(userId)).balance > 10_000 - 500)
      await sleep(20);
    // SIGKILL to the service's process: tini exits with it, and the restart policy starts it.
    await docker(
      'exec',
      containers['api-1'],
      'sh',
      '-c',
      'kill -KILL $(cat /proc/1/task/1/children)',
    );
    const during = await first;
    console.log('compose burst with api-1 killed mid-way', during.counts);
    await waitHealthy(containers['api-1'], 90_000);
    expect(
      Number(
        await docker('inspect', '-f', '{{.RestartCount}}', containers['api-1']),
      ),
    ).toBe(restartsBefore + 1);
    const after = await fireBurst(
      await networkUrls(),
      path,
      { amount: -1 },
      2_000,
    );
    console.log('compose burst after the restart', after.counts);

    const cutOff = during.outcomes.filter((outcome) => outcome.status !== 200);
    expect(cutOff.length).toBeGreaterThan(0);
    expect(
      cutOff.filter((outcome) => ![0, 503].includes(outcome.status)),
    ).toEqual([]);
    expect(after.counts).toEqual({ '200': 2_000 });

    const acknowledged: Outcome[] = [
      ...during.outcomes,
      ...after.outcomes,
    ].filter((outcome) => outcome.status === 200);
    const debits = (
      await sql(
        `SELECT balance_after FROM balance_transactions WHERE user_id = ${userId} AND amount = -1`,
      )
    ).map(Number);
    const { balance, ledger } = await balanceAndLedger(userId);
    console.log(
      `debits acknowledged ${acknowledged.length}, in the ledger ${debits.length}`,
    );
    expect(ledger).toBe(balance);
    expect(balance).toBe(10_000 - debits.length);
    // Every acknowledged debit is in the ledger, as the balance it answered.
    const recorded = new Set(debits);
    const answeredBalances = acknowledged.map(
      (outcome) => outcome.body.balance as number,
    );
    expect(new Set(answeredBalances).size).toBe(acknowledged.length);
    expect(answeredBalances.filter((value) => !recorded.has(value))).toEqual(
      [],
    );
  });

  it('down -v leaves no container, network or volume behind', async () => {
    await compose('down', '--volumes');
    const label = `label=com.docker.compose.project=${PROJECT}`;
    expect(await docker('ps', '--all', '--quiet', '--filter', label)).toBe('');
    expect(await docker('network', 'ls', '--quiet', '--filter', label)).toBe(
      '',
    );
    expect(await docker('volume', 'ls', '--quiet', '--filter', label)).toBe('');
  });
});
