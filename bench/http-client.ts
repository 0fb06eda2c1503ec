import { Agent, request } from 'node:http';

export interface JsonResponse {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A minimal JSON client over node:http with keep-alive, so each concurrent client reuses one
 * connection and the figures are the server's work, not TCP handshakes.
 */
export class JsonClient {
  private readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    maxConnections: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: maxConnections });
  }

  get(path: string, headers: Record<string, string> = {}): Promise<JsonResponse> {
    return this.send('GET', path, undefined, headers);
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
    return this.send('POST', path, JSON.stringify(body), headers);
  }

  /** Posts `text` exactly as given (a signed webhook's signature covers its bytes). */
  postText(path: string, text: string, headers: Record<string, string> = {}): Promise<JsonResponse> {
    return this.send('POST', path, text, headers);
  }

  close(): void {
    this.agent.destroy();
  }

  private send(
    method: string,
    path: string,
    payload: string | undefined,
    headers: Record<string, string>,
  ): Promise<JsonResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.baseUrl),
        {
          method,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({
                status: res.statusCode ?? 0,
                body: text === '' ? null : JSON.parse(text),
                headers: res.headers,
              });
            } catch {
              reject(
                new Error(
                  `${method} ${path} answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`,
                ),
              );
            }
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/** The body of a 200 answer; any other status stops the bench with what the server said. */
export async function expectOk(pending: Promise<JsonResponse>, what: string): Promise<unknown> {
  const response = await pending;
  if (response.status !== 200) throw unexpected(what, response);
  return response.body;
}

export function unexpected(what: string, response: JsonResponse): Error {
  return new Error(`${what} answered ${response.status}: ${JSON.stringify(response.body)}`);
}

/**
 * Up to `count` active seeded people, each with a bearer token, so concurrent clients act as different
 * people as in real use.
 */
export async function seededPeople(api: JsonClient, count: number): Promise<{ id: string; token: string }[]> {
  const { status, body } = await api.get('/dev/identities');
  if (status !== 200) throw new Error(`GET /dev/identities answered ${status}`);
  const identities = (body as { identities: { id: string; kind: string; status: string }[] }).identities;
  const people = identities.filter((identity) => identity.kind === 'human' && identity.status === 'active');
  return Promise.all(people.slice(0, count).map(async ({ id }) => ({ id, token: await devToken(api, id) })));
}

/** A bearer token for a seeded identity, from the local system's `POST /dev/token`. */
export async function devToken(api: JsonClient, identity: string): Promise<string> {
  const body = await expectOk(api.post('/dev/token', { identity }), `POST /dev/token for ${identity}`);
  return (body as { token: string }).token;
}
