import { UnsupportedMediaTypeException } from '@nestjs/common';
import { json, type NextFunction, type Request, type Response } from 'express';
import { ValidationFailedError } from './domain.error';

/**
 * Request bodies are small JSON objects; anything larger is refused with 413. The largest
 * valid one carries a description of 500 characters, up to 4 bytes each in UTF-8.
 */
export const BODY_LIMIT_BYTES = 4096;

const parseJson = json({ limit: BODY_LIMIT_BYTES });

/** Keys that class-transformer drops before validation, so that whitelisting never sees them. */
const HIDDEN_KEYS = ['__proto__', 'constructor'];

/**
 * The app's only body parser (it is created with `bodyParser: false`). A body that is not
 * JSON is refused with 415 rather than ignored; one that is not a JSON object gets a 400 that
 * says so, without echoing the body back.
 */
export function parseJsonBody(
  request: Request,
  response: Response,
  next: NextFunction,
): void {
  // `is` answers null when the request has no body; an empty one is no body either.
  const empty = request.headers['content-length'] === '0';
  if (!empty && request.is(['application/json', '+json']) === false) {
    next(
      new UnsupportedMediaTypeException('The body must be application/json'),
    );
    return;
  }
  parseJson(request, response, (error?: { type?: string }) => {
    if (error) {
      next(
        error.type === 'entity.parse.failed' ? new NotAnObjectError() : error,
      );
      return;
    }
    // A request without a body reads as an empty object, as it did in Express 4.
    const body: unknown = (request.body ??= {});
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      next(new NotAnObjectError());
      return;
    }
    const hidden = HIDDEN_KEYS.find((key) => Object.hasOwn(body, key));
    next(
      hidden
        ? new ValidationFailedError(`property ${hidden} should not exist`)
        : undefined,
    );
  });
}

class NotAnObjectError extends ValidationFailedError {
  constructor() {
    super('The body must be a JSON object');
  }
}
