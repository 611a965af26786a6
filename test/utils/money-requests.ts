/** Sends a POST with a JSON body; resolves with the answer's status and parsed body. */
export type Post = (
  path: string,
  body: object,
) => Promise<{ status: number; body: unknown }>;

/** A request to one route that changes money: its path and body, after what it needs exists. */
export type MoneyRequest = () => Promise<[path: string, body: object]>;

/**
 * A request to each route that changes money, keyed as the API document names the route; each
 * first makes through `post` what it needs (a user, a hold, a credit to reverse). User 1 must
 * have money. Tests check the keys against the document with `moneyRoutesOf`.
 */
export function moneyRequests(post: Post): Record<string, MoneyRequest> {
  const created = async (path: string, body: object): Promise<number> => {
    const answer = await post(path, body);
    if (answer.status !== 201) {
      throw new Error(`POST ${path} answered ${answer.status}`);
    }
    return (answer.body as { id: number }).id;
  };
  const createUser = (balance: number) => created('/users', { balance });
  const placeHold = () => created('/users/1/holds', { amount: 5 });
  return {
    'POST /users': () => Promise.resolve(['/users', { balance: 40 }]),
    'POST /users/{id}/balance': () =>
      Promise.resolve(['/users/1/balance', { amount: -3 }]),
    'POST /transfers': async () => [
      '/transfers',
      { fromUserId: 1, toUserId: await createUser(10), amount: 4 },
    ],
    'POST /users/{id}/holds': () =>
      Promise.resolve(['/users/1/holds', { amount: 5 }]),
    'POST /holds/{id}/capture': async () => [
      `/holds/${await placeHold()}/capture`,
      { amount: 2 },
    ],
    'POST /holds/{id}/void': async () => [
      `/holds/${await placeHold()}/void`,
      {},
    ],
    'POST /transactions/{id}/reverse': async () => {
      const credit = await post('/users/1/balance', { amount: 7 });
      if (credit.status !== 200)
        throw new Error(`a credit answered ${credit.status}`);
      const { transactionId } = credit.body as { transactionId: number };
      return [`/transactions/${transactionId}/reverse`, {}];
    },
    'POST /transfers/{id}/reverse': async () => {
      const transfer = await created('/transfers', {
        fromUserId: 1,
        toUserId: await createUser(0),
        amount: 3,
      });
      return [`/transfers/${transfer}/reverse`, {}];
    },
  };
}

interface ApiDocument {
  paths: Record<
    string,
    Record<string, { parameters?: { in: string; name: string }[] }>
  >;
}

/** The routes of an API document that take an Idempotency-Key: those that change money. */
export function moneyRoutesOf(document: unknown): string[] {
  return Object.entries((document as ApiDocument).paths).flatMap(
    ([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) =>
          (operation.parameters ?? []).some(
            ({ in: place, name }) =>
              place === 'header' && name === 'Idempotency-Key',
          ),
        )
        .map(([method]) => `${method.toUpperCase()} ${path}`),
  );
}
