/**
 * Which counter of `/metrics` counts a money route's outcomes (see `@Idempotent()`):
 * `balance_changes_total{outcome}`, `hold_operations_total{operation, outcome}`, or none.
 */
export type MoneyCounter =
  | { metric: 'balance_changes' }
  | { metric: 'hold_operations'; operation: 'place' | 'capture' | 'void' }
  | { metric: 'none' };

export const BALANCE_CHANGE: MoneyCounter = { metric: 'balance_changes' };

export const NOT_COUNTED: MoneyCounter = { metric: 'none' };

export const holdOperation = (
  operation: 'place' | 'capture' | 'void',
): MoneyCounter => ({ metric: 'hold_operations', operation });
