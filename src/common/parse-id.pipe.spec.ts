import { ValidationFailedError } from './domain.error';
import { ParseIdPipe } from './parse-id.pipe';

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
