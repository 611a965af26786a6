import {
  InternalError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
} from '../common/common.errors';
import { ValidationFailedError } from '../common/domain.error';
import { UnauthorizedError } from '../security/api-key.middleware';
import { ApiErrorResponses } from './api-error-responses.decorator';

/** What any route of the API may answer: on its controller. */
export const ApiCommonErrorResponses = () =>
  ApiErrorResponses(UnauthorizedError, ServiceUnavailableError, InternalError);

/** What a route that reads a JSON body may answer besides its own refusals. */
export const BODY_REFUSALS = [
  ValidationFailedError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
];
