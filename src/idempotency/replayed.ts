/**
 * A response remembered under an idempotency key and sent again. `ReplayInterceptor` unwraps
 * it and marks the response with `Idempotent-Replayed: true`.
 */
export class Replayed<T> {
  constructor(readonly body: T) {}
}
