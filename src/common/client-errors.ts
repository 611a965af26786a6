import { maxHeaderSize, type Server } from 'node:http';
import type { Socket } from 'node:net';
import {
  HeadersTooLargeError,
  PayloadTooLargeError,
  RequestTimeoutError,
} from './common.errors';
import { type DomainErrorClass, ValidationFailedError } from './domain.error';
import { errorBody } from './errors.filter';

interface Refusal {
  error: DomainErrorClass;
  message: string;
}

/** What each refusal of Node's HTTP parser means; any other is malformed HTTP. */
const REFUSALS: Partial<Record<string, Refusal>> = {
  HPE_HEADER_OVERFLOW: {
    error: HeadersTooLargeError,
    message: `The request headers are over the limit of ${maxHeaderSize} bytes`,
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    error: PayloadTooLargeError,
    message: 'The chunk extensions are over the limit',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    error: RequestTimeoutError,
    message: 'The request did not arrive in time',
  },
};

const MALFORMED: Refusal = {
  error: ValidationFailedError,
  message: 'The request is not valid HTTP/1.1',
};

/** The response of a request in flight on the socket, which Node keeps there. */
interface HttpSocket extends Socket {
  _httpMessage?: { headersSent: boolean };
}

/**
 * Requests Node's HTTP parser refuses (headers too large, broken framing, too slow) never
 * reach Express, and Node answers them with an empty body. This answers them as every other
 * refusal is answered, in the catalogue's shape, then closes the connection, as Node does.
 */
export function answerClientErrors(server: Server): void {
  server.on(
    'clientError',
    (error: NodeJS.ErrnoException, socket: HttpSocket) => {
      // Once a response has started on the socket, bytes of ours would corrupt it.
      if (socket.writable && !socket._httpMessage?.headersSent) {
        const { error: refusal, message } =
          REFUSALS[error.code ?? ''] ?? MALFORMED;
        const { status, code } = refusal.spec;
        const body = errorBody(status, code, message);
        const json = JSON.stringify(body);
        socket.write(
          `HTTP/1.1 ${status} ${body.error}\r\n` +
            'Content-Type: application/json; charset=utf-8\r\n' +
            `Content-Length: ${Buffer.byteLength(json)}\r\n` +
            'Connection: close\r\n\r\n' +
            json,
        );
      }
      socket.destroy();
    },
  );
}
