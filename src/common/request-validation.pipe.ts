import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidationFailedError } from './domain.error';

/**
 * The one validation pipe: unknown fields are refused, and nothing is converted implicitly,
 * so `"5"` is not the number 5.
 */
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) =>
        new ValidationFailedError(describe(errors).join('; ')),
    });
  }

  /** Path and query strings stay strings (`+'0x1'` would be 1); their own pipes parse them. */
  protected override transformPrimitive(value: unknown): unknown {
    return value;
  }
}

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {});
    const prefixed = parent
      ? own.map((message) => `${parent}.${message}`)
      : own;
    return [...prefixed, ...describe(error.children ?? [], path)];
  });
}
