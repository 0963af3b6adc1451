// Placeholder until this family's operations module lands: every operation answers 501.
import { ApiError } from '../../http/errors';
import { FamilyOperations } from '../operations';

const notYet = async (): Promise<never> => {
  throw new ApiError(501, 'Operations for this platform are not available yet.', { code: 'not_implemented' });
};

export const tiktokOperations: FamilyOperations = { accounts: notYet, query: notYet, execute: notYet };
