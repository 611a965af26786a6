/** Each project with a database runs it; the embedded server, if any, is stopped once. */
export default async function globalTeardown(): Promise<void> {
  const stop = globalThis.stopTestPostgres;
  globalThis.stopTestPostgres = undefined;
  await stop?.();
}
