import { createServer } from 'node:http';
import { answerClientErrors } from './client-errors';

describe('answerClientErrors', () => {
  const server = createServer();
  answerClientErrors(server);

  const socket = (extra: object = {}) => ({
    writable: true,
    write: jest.fn(),
    destroy: jest.fn(),
    ...extra,
  });
  const refuse = (code: string, on: ReturnType<typeof socket>) =>
    server.emit('clientError', Object.assign(new Error(code), { code }), on);
  const answer = (on: ReturnType<typeof socket>) => {
    const [raw] = on.write.mock.calls[0] as [string];
    const [head, body] = raw.split('\r\n\r\n');
    return { head, body: JSON.parse(body) as unknown };
  };

  it.each([
    [
      'HPE_HEADER_OVERFLOW',
      431,
      'Request Header Fields Too Large',
      'HEADERS_TOO_LARGE',
    ],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'Request Timeout', 'REQUEST_TIMEOUT'],
    [
      'HPE_CHUNK_EXTENSIONS_OVERFLOW',
      413,
      'Payload Too Large',
      'PAYLOAD_TOO_LARGE',
    ],
    ['HPE_INVALID_METHOD', 400, 'Bad Request', 'VALIDATION_FAILED'],
  ])(
    'answers %s with %i in the catalogue shape, then closes',
    (code, status, error, catalogued) => {
      const on = socket();
      refuse(code, on);
      const { head, body } = answer(on);
      expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} ${error}\r\n`));
      expect(head).toMatch(/\r\nConnection: close$/);
      expect(body).toEqual({
        statusCode: status,
        error,
        code: catalogued,
        message: expect.any(String) as string,
      });
      expect(on.destroy).toHaveBeenCalled();
    },
  );

  it('writes nothing over a response already started, or on a closed socket', () => {
    for (const on of [
      socket({ _httpMessage: { headersSent: true } }),
      socket({ writable: false }),
    ]) {
      refuse('HPE_INVALID_CHUNK_SIZE', on);
      expect(on.write).not.toHaveBeenCalled();
      expect(on.destroy).toHaveBeenCalled();
    }
  });
});
