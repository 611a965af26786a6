import { UnsupportedMediaTypeException } from '@nestjs/common';
import { json, type NextFunction, type Request, type Response } from 'express';
import { ValidationFailedError } from './domain.error';

/**
 * Request bodies are small JSON objects; anything larger is refused with 413. The largest
 * valid one carries a description of 500 characters, up to 4 bytes each in UTF-8.
 */
const BODY_LIMIT_BYTES = 4096;

/**
 * The one media type a body may have. `+json` types are refused, not read as JSON: they name
 * other semantics (a merge patch, a list of patch operations, a problem report) that the
 * service does not implement.
 */
const JSON_TYPE = 'application/json';

/** JSON between systems is UTF-8 (RFC 8259); a charset, if given, must say so. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;
const UTF_8 = /^utf-?8$/i;

const parseJson = json({ limit: BODY_LIMIT_BYTES, type: JSON_TYPE });

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
  if (!empty && !isUtf8Json(request)) {
    next(
      new UnsupportedMediaTypeException(
        'The body must be application/json, in UTF-8',
      ),
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

function isUtf8Json(request: Request): boolean {
  if (request.is(JSON_TYPE) === false) return false;
  const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1];
  return charset === undefined || UTF_8.test(charset);
}

class NotAnObjectError extends ValidationFailedError {
  constructor() {
    super('The body must be a JSON object');
  }
}
