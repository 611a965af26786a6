import { ValidationFailedError } from '../common/domain.error';
import {
  decodeCursor,
  encodeCursor,
  FEED_START,
  isAfter,
} from './event-position';

describe('event cursors', () => {
  it('decode to the position they encode, up to the largest xid8', () => {
    for (const position of [
      FEED_START,
      { xid: 748_213n, id: 41 },
      { xid: 2n ** 64n - 1n, id: Number.MAX_SAFE_INTEGER },
    ]) {
      expect(decodeCursor(encodeCursor(position))).toEqual(position);
    }
  });

  it.each([
    ['not base64url', '!!'],
    ['no separator', Buffer.from('12').toString('base64url')],
    ['a leading zero', Buffer.from('012.1').toString('base64url')],
    ['a negative id', Buffer.from('12.-1').toString('base64url')],
    [
      'an xid past 2^64',
      Buffer.from('18446744073709551616.1').toString('base64url'),
    ],
    ['an unsafe id', Buffer.from('1.9007199254740993').toString('base64url')],
    ['padding', `${Buffer.from('1.1').toString('base64url')}=`],
  ])('refuses %s', (_, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(ValidationFailedError);
  });

  it('orders by xid, then id', () => {
    expect(isAfter({ xid: 2n, id: 1 }, { xid: 1n, id: 9 })).toBe(true);
    expect(isAfter({ xid: 1n, id: 9 }, { xid: 1n, id: 8 })).toBe(true);
    expect(isAfter({ xid: 1n, id: 8 }, { xid: 1n, id: 8 })).toBe(false);
  });
});
