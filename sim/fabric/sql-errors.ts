/**
 * An error the fabric raises for a SQL client: it travels to the node as
 * `{message, code}` and the node rethrows it as the pgwire SqlError.
 * (The fabric does not load the pgwire module, to keep its process small.)
 */
export class SqlErrorLike extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "SqlErrorLike";
  }
}
