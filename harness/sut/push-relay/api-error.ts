/**
 * Centrifugo's API error codes (reference: centrifugo.md §2), with the HTTP status each maps to in
 * "transport" error mode. Default mode answers HTTP 200 with `{"error":{"code","message"}}`, as Centrifugo does.
 */
export const ApiErrorCode = {
  internal: 100,
  notFound: 104,
  badRequest: 107,
  notAvailable: 108,
  conflict: 113,
} as const;

const transportStatus: Record<number, number> = { 100: 500, 104: 404, 107: 400, 108: 400, 113: 409 };

const defaultMessage: Record<number, string> = {
  100: 'internal server error',
  104: 'not found',
  107: 'bad request',
  108: 'not available',
  113: 'conflict',
};

export class ApiError extends Error {
  readonly code: number;

  /** `detail` follows the standard text: "bad request: recipient: exactly one of …". */
  constructor(code: number, detail?: string) {
    const base = defaultMessage[code] ?? 'error';
    super(detail ? `${base}: ${detail}` : base);
    this.code = code;
  }

  get httpStatus(): number {
    return transportStatus[this.code] ?? 500;
  }
}

export function badRequest(detail: string): ApiError {
  return new ApiError(ApiErrorCode.badRequest, detail);
}
