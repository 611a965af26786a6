import { validateEnvironment } from './environment';

describe('validateEnvironment', () => {
  it('applies the defaults to an empty environment', () => {
    expect({ ...validateEnvironment({}) }).toEqual({
      PORT: 3000,
      DB_POOL_MAX: 10,
      DB_POOL_ACQUIRE_TIMEOUT_MS: 60_000,
      LOG_LEVEL: 'info',
    });
  });

  it('converts numeric strings and keeps the URL', () => {
    const environment = validateEnvironment({
      PORT: '8080',
      DB_POOL_MAX: '7',
      DATABASE_URL: 'postgres://u:p@db:5432/balance',
      LOG_LEVEL: 'debug',
    });
    expect(environment).toMatchObject({
      PORT: 8080,
      DB_POOL_MAX: 7,
      DATABASE_URL: 'postgres://u:p@db:5432/balance',
      LOG_LEVEL: 'debug',
    });
  });

  it('treats an empty variable as unset', () => {
    const environment = validateEnvironment({ DATABASE_URL: '', PORT: '' });
    expect(environment.DATABASE_URL).toBeUndefined();
    expect(environment.PORT).toBe(3000);
  });

  it.each([
    ['PORT', 'abc', 'PORT must be an integer number'],
    ['PORT', '70000', 'PORT must not be greater than 65535'],
    ['DB_POOL_MAX', '0', 'DB_POOL_MAX must not be less than 1'],
    ['DB_POOL_MAX', '2.5', 'DB_POOL_MAX must be an integer number'],
    [
      'DB_POOL_ACQUIRE_TIMEOUT_MS',
      '50',
      'DB_POOL_ACQUIRE_TIMEOUT_MS must not be less than 100',
    ],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of the following values'],
    ['DATABASE_URL', 'mysql://x', 'DATABASE_URL must be a postgres:// URL'],
    [
      'DATABASE_MIGRATION_URL',
      'mysql://x',
      'DATABASE_MIGRATION_URL must be a postgres:// URL',
    ],
    ['API_KEYS', 'a,,b', 'API_KEYS must be keys separated by commas'],
    ['API_KEYS', 'a, b', 'API_KEYS must be keys separated by commas'],
    ['API_KEYS', 'a+b=secret', 'API_KEYS must be keys separated by commas'],
    ['API_KEYS', '=secret', 'API_KEYS must be keys separated by commas'],
    ['API_KEYS', 'checkout=', 'API_KEYS must be keys separated by commas'],
    [
      'API_KEYS',
      `${'n'.repeat(65)}=secret`,
      'API_KEYS must be keys separated by commas',
    ],
  ])('refuses %s=%s with one line naming it', (name, value, reason) => {
    expect(() => validateEnvironment({ [name]: value })).toThrow(
      `Invalid configuration: ${reason}`,
    );
  });

  it('accepts keys with and without names; a secret after a name may hold `=`', () => {
    const value = 'checkout=s3cr=t,plain-secret,support.team_2=x';
    expect(validateEnvironment({ API_KEYS: value }).API_KEYS).toBe(value);
  });

  it('never echoes a value, which may hold a password', () => {
    expect(() =>
      validateEnvironment({ DATABASE_URL: 'mysql://user:secret@db/x' }),
    ).toThrow(/^((?!secret).)*$/);
  });
});
