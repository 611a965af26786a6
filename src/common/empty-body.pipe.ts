import { Injectable, PipeTransform } from '@nestjs/common';
import { ValidationFailedError } from './domain.error';

/**
 * For a route that takes no field (a void): its body, if any, must be an empty object, as every
 * unknown field is refused elsewhere. A DTO cannot say it: the validation pipe refuses a class
 * with no validated property whatever it is sent.
 */
@Injectable()
export class EmptyBodyPipe implements PipeTransform<object, undefined> {
  transform(body: object): undefined {
    const fields = Object.keys(body);
    if (fields.length > 0) {
      throw new ValidationFailedError(
        fields.map((key) => `property ${key} should not exist`).join('; '),
      );
    }
    return undefined;
  }
}
