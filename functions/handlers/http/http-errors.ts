import { DomainError } from '../../domain/errors';

/** Failures of the HTTP envelope itself, before any use case runs. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

const statusByCode: Record<string, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  expired: 410,
  deadline_passed: 409,
  cancelled: 409,
  reassigned: 409,
};

export interface ErrorResponse {
  status: number;
  body: { error: { code: string; message: string; fields?: Record<string, string>; correlationId?: string } };
}

/** The contract's error envelope; anything unexpected becomes a 500 that names only the correlation id. */
export function toErrorResponse(error: unknown, correlationId: string): ErrorResponse {
  if (error instanceof HttpError) {
    return { status: error.status, body: { error: { code: error.code, message: error.message } } };
  }
  if (error instanceof DomainError) {
    const fields = 'fields' in error ? (error.fields as Record<string, string>) : undefined;
    return {
      status: statusByCode[error.code] ?? 400,
      body: { error: { code: error.code, message: error.message, ...(fields ? { fields } : {}) } },
    };
  }
  return {
    status: 500,
    body: {
      error: {
        code: 'internal_error',
        message: `Something went wrong on our side. Quote correlation id ${correlationId} when reporting it.`,
        correlationId,
      },
    },
  };
}
