/**
 * What the command-line tools that call the Tollgate API share (policy:simulate, analytics): their
 * two kinds of error, the calls, a token, and how they end.
 */

/** A problem with what the command was given: printed with the usage, exit code 2. */
export class UsageError extends Error {}
/** A problem the command met: printed alone, exit code 1. */
export class Failure extends Error {}

export interface Answer<T> {
  status: number;
  body: T;
}

/** Where the API is and who calls it: locally a demo identity signs in through POST /dev/token. */
export interface ApiTarget {
  url: string;
  as: string;
}

/** `--url` checked, without a trailing slash. */
export function apiUrl(given: string | undefined): string {
  const url = given ?? 'http://127.0.0.1:3000';
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url ${url} is not a URL`);
  }
  return url.replace(/\/+$/, '');
}

export async function request<T>(
  target: ApiTarget,
  method: string,
  path: string,
  init: { token?: string; body?: unknown } = {},
): Promise<Answer<T>> {
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, {
      method,
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  } catch (error) {
    const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new Failure(`Cannot reach ${target.url} (${reason}): is Tollgate running there (npm start)?`);
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the message.
  }
  return { status: response.status, body: body as T };
}

/** What an error answer says, with each field's message on a line of its own. */
export function describeAnswer(what: string, answer: Answer<unknown>): string {
  const error = (answer.body as { error?: { message?: string; fields?: Record<string, string> } })?.error;
  if (!error) return `${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`;
  const fields = Object.entries(error.fields ?? {}).map(([field, message]) => `  ${field}: ${message}`);
  return [`${what} answered ${answer.status}: ${error.message}`, ...fields].join('\n');
}

/** TOLLGATE_TOKEN when set (a deployed system), otherwise a local token for the demo identity. */
export async function tokenFor(target: ApiTarget): Promise<string> {
  const given = process.env.TOLLGATE_TOKEN;
  if (given) return given;
  const answer = await request<{ token?: string }>(target, 'POST', '/dev/token', {
    body: { identity: target.as },
  });
  if (answer.status !== 200 || !answer.body.token) {
    throw new Failure(
      `${describeAnswer('POST /dev/token', answer)}\n(/dev/token exists only in local mode: against a deployed system, set TOLLGATE_TOKEN)`,
    );
  }
  return answer.body.token;
}

/** Runs the command and exits: 0 done, 1 a failure, 2 bad arguments (with the usage). */
export function runCli(main: (argv: string[]) => Promise<number>, usage: string): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`${error.message}\n\n${usage}`);
        process.exit(2);
      }
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
