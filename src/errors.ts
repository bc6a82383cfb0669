/** An error the user can act on: printed as one line, never with a stack trace. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Bad or missing configuration (exit code 2, like a usage error). */
export class ConfigError extends UserError {
  override name = 'ConfigError';
  constructor(message: string) {
    super(message, 2);
  }
}

/** The API answered in a way that ends the sync: auth, plan, bad request, retries exhausted, malformed. */
export class ApiError extends UserError {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message, 1);
  }
}

/** The sync was stopped by a signal; a final STATE was written. */
export class InterruptedError extends UserError {
  override name = 'InterruptedError';
  constructor(signal: string) {
    super(`interrupted by ${signal}; the last STATE message resumes the sync`, 130);
  }
}

/** An answer whose shape is not one the sources report (thrown by a stream's record selector). */
export class MalformedAnswer extends Error {
  override name = 'MalformedAnswer';
}
