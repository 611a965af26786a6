/** Metric names, shared by their providers and the code that records them. */
export const HTTP_REQUESTS = 'http_requests_total';
export const HTTP_REQUEST_DURATION = 'http_request_duration_seconds';
export const BALANCE_CHANGES = 'balance_changes_total';
export const HOLD_OPERATIONS = 'hold_operations_total';
export const DB_POOL_CONNECTIONS = 'db_pool_connections';
export const DB_POOL_WAITING = 'db_pool_waiting_requests';
