/** A tiny fetch wrapper for the API: JSON in and out, the status and headers kept for assertions. */

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the raw text when the body is not JSON. */
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string;
  /** A JSON value to send; ignored when `raw` is given. */
  json?: unknown;
  /** A body sent as is, with `contentType` (or none). */
  raw?: string | Uint8Array;
  contentType?: string | null;
  headers?: Record<string, string>;
}

export async function call<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.json !== undefined) body = JSON.stringify(options.json);
  const contentType =
    options.contentType === undefined
      ? body === undefined
        ? null
        : 'application/json'
      : options.contentType;
  if (contentType) headers['content-type'] = contentType;
  const response = await fetch(new URL(path, baseUrl), { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** A client bound to one server and, optionally, one caller. */
export function apiClient(baseUrl: string, token?: string) {
  const withToken = (options: RequestOptions = {}): RequestOptions => ({
    ...(token === undefined ? {} : { token }),
    ...options,
  });
  return {
    baseUrl,
    token,
    get: <T = unknown>(path: string, options?: RequestOptions) =>
      call<T>(baseUrl, 'GET', path, withToken(options)),
    post: <T = unknown>(path: string, json?: unknown, options?: RequestOptions) =>
      call<T>(baseUrl, 'POST', path, withToken({ ...(json === undefined ? {} : { json }), ...options })),
    put: <T = unknown>(path: string, json?: unknown, options?: RequestOptions) =>
      call<T>(baseUrl, 'PUT', path, withToken({ ...(json === undefined ? {} : { json }), ...options })),
    delete: <T = unknown>(path: string, options?: RequestOptions) =>
      call<T>(baseUrl, 'DELETE', path, withToken(options)),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

/** A token from the local-only `POST /dev/token`. */
export async function devToken(
  baseUrl: string,
  identity: string,
  expiresIn?: number | string,
): Promise<string> {
  const response = await call<{ token: string }>(baseUrl, 'POST', '/dev/token', {
    json: { identity, ...(expiresIn === undefined ? {} : { expiresIn }) },
  });
  if (response.status !== 200)
    throw new Error(`POST /dev/token answered ${response.status}: ${response.text}`);
  return response.body.token;
}
