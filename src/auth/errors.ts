// What token validation can answer besides a principal: the caller's token is not acceptable (401), or the
// identity provider could not be asked (503, not the caller's fault).

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/** The authority's metadata or keys could not be fetched: not the caller's fault. */
export class IdentityProviderUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityProviderUnavailableError';
  }
}
