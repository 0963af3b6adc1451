// The types that answer `report` queries, and each one's reporter, as their families declare them; the
// catalog lists the `report` capability for exactly these.
import { ConnectorType } from '../../catalog/types';
import { FamilyReporter } from '../reporting/types';
import { families } from './families';

export const reporters: Partial<Record<ConnectorType, FamilyReporter>> = Object.assign(
  {},
  ...Object.values(families).map((f) => f.reporters ?? {}),
);

export const reporterOf = (type: ConnectorType): FamilyReporter | undefined => reporters[type];
