/** A small JSON client for a running instance, for tests that talk to it over real sockets. */
export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function call(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers:
      body === undefined
        ? headers
        : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}
