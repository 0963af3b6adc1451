import { Principal } from '../http/context';

export type { Principal };

export const READ_WRITE_SCOPE = 'Connectors.ReadWrite';
export const READ_SCOPE = 'Connectors.Read';
export const READ_WRITE_ROLE = 'Connectors.ReadWrite.All';
export const READ_ROLE = 'Connectors.Read.All';

export type Access = 'read' | 'write';

/** Delegated scopes or application roles: writing needs ReadWrite; reading accepts either. */
export function hasAccess(principal: Principal, access: Access): boolean {
  const writes = principal.scopes.includes(READ_WRITE_SCOPE) || principal.roles.includes(READ_WRITE_ROLE);
  if (access === 'write') return writes;
  return writes || principal.scopes.includes(READ_SCOPE) || principal.roles.includes(READ_ROLE);
}
