import { fireBurst } from './burst';

/**
 * `fireBurst` as a process of its own (see `fireBurstFromAnotherProcess`): reads its arguments
 * as one JSON array, writes the BurstResult as JSON on stdout.
 */
const [baseUrls, path, payload, count] = JSON.parse(process.argv[2]) as [
  string[],
  string,
  unknown,
  number,
];
void fireBurst(baseUrls, path, payload, count).then((result) =>
  process.stdout.write(JSON.stringify(result)),
);
