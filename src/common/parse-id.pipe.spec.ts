import { ValidationFailedError } from './domain.error';
import { ParseBigIdPipe, ParseIdPipe } from './parse-id.pipe';

describe('ParseIdPipe', () => {
  const pipe = new ParseIdPipe();
  const parse = (value: string) =>
    pipe.transform(value, { type: 'param', data: 'id' });

  it.each([
    ['1', 1],
    ['42', 42],
    ['2147483647', 2_147_483_647],
  ])('parses %p', (value, id) => {
    expect(parse(value)).toBe(id);
  });

  it.each([
    '0',
    '-1',
    '+1',
    '01',
    '1.0',
    '1e3',
    '0x1',
    ' 1',
    '1 ',
    '',
    'abc',
    '2147483648',
    '99999999999',
  ])('refuses %p', (value) => {
    expect(() => parse(value)).toThrow(ValidationFailedError);
  });
});

describe('ParseBigIdPipe', () => {
  const parse = (value: string) =>
    new ParseBigIdPipe().transform(value, { type: 'param', data: 'id' });

  it('parses ids up to Number.MAX_SAFE_INTEGER', () => {
    expect(parse('2147483648')).toBe(2_147_483_648);
    expect(parse('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each(['0', '01', '9007199254740992', '9999999999999999', '1e3'])(
    'refuses %p',
    (value) => {
      expect(() => parse(value)).toThrow(ValidationFailedError);
    },
  );
});
