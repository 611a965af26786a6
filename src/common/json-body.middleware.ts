import { UnsupportedMediaTypeException } from '@nestjs/common';
import { json, type NextFunction, type Request, type Response } from 'express';
import { ValidationFailedError } from './domain.error';

/** Request bodies are tiny JSON objects; anything larger is refused with 413. */
export const BODY_LIMIT_BYTES = 1024;

const parseJson = json({ limit: BODY_LIMIT_BYTES });

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
    next(
      body === null || typeof body !== 'object' || Array.isArray(body)
        ? new NotAnObjectError()
        : undefined,
    );
  });
}

class NotAnObjectError extends ValidationFailedError {
  constructor() {
    super('The body must be a JSON object');
  }
}
