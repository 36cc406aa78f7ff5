import { MydockerError } from "../util/errors.js";

/** An error the API itself raises, with its HTTP status. */
export class ApiError extends MydockerError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super("EAPI", message);
  }
}
