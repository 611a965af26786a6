import {
  ArgumentMetadata,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { ValidationFailedError } from './domain.error';

/**
 * The one validation pipe: unknown fields are refused, and nothing is converted implicitly,
 * so `"5"` is not the number 5.
 */
export class RequestValidationPipe extends ValidationPipe {
  private readonly fieldsByType = new WeakMap<object, Set<string>>();

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

  /**
   * Unknown keys are refused on the object as it was sent, before class-transformer builds the
   * DTO: it drops keys named after a prototype member (`hasOwnProperty`, `toString`,
   * `__proto__`…), so the whitelist, which checks the DTO, would never see them.
   */
  override transform(
    value: unknown,
    metadata: ArgumentMetadata,
  ): Promise<unknown> {
    if (
      metadata.metatype &&
      this.toValidate(metadata) &&
      typeof value === 'object' &&
      value !== null
    ) {
      const fields = this.fieldsOf(metadata.metatype);
      const unknown = Object.keys(value).filter((key) => !fields.has(key));
      if (unknown.length > 0) {
        throw new ValidationFailedError(
          unknown.map((key) => `property ${key} should not exist`).join('; '),
        );
      }
    }
    return super.transform(value, metadata);
  }

  /** Path and query strings stay strings (`+'0x1'` would be 1); their own pipes parse them. */
  protected override transformPrimitive(value: unknown): unknown {
    return value;
  }

  /** The properties the whitelist allows: those with a validation decorator. */
  private fieldsOf(type: NonNullable<ArgumentMetadata['metatype']>) {
    let fields = this.fieldsByType.get(type);
    if (!fields) {
      fields = new Set(
        getMetadataStorage()
          .getTargetValidationMetadatas(type, '', false, false)
          .map(({ propertyName }) => propertyName),
      );
      this.fieldsByType.set(type, fields);
    }
    return fields;
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
