// How a platform's token endpoint said no, in the three kinds the service acts on differently.

/** The grant is gone (invalid_grant, Meta code 190): the user must reconnect. */
export class GrantRevokedError extends Error {
  constructor(
    message: string,
    /** The platform says the user took the app's access away (rather than the grant lapsing). */
    readonly byUser = false,
  ) {
    super(message);
    this.name = 'GrantRevokedError';
  }
}

/** The app's client id or secret was refused: the configuration is wrong, not the grant. */
export class ClientRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientRejectedError';
  }
}

/** The platform has no way to renew this connection's token (TikTok for Business' long-term token). */
export class RefreshNotSupportedError extends Error {
  constructor(readonly platform: string) {
    super(
      `${platform} tokens do not expire and cannot be refreshed; reconnect the account to grant access again.`,
    );
    this.name = 'RefreshNotSupportedError';
  }
}

/** Anything else: the platform failed or was unreachable; try again later. */
export class TokenEndpointError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TokenEndpointError';
  }
}
