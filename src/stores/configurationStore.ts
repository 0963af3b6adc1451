// Connector configuration records, partitioned by tenant. Secrets are not here: only the version of the
// record's secret bundle in the secret store.
import { tablesSdk } from './tables';
import { Entity, optional, RecordTable, Stored } from './recordTable';

export { EtagMismatchError, InsertFailedError } from './recordTable';
export type { Stored } from './recordTable';

/** A configuration's statuses: the one definition the code, the list filter and the OpenAPI document use. */
export const CONFIG_STATUSES = ['pending_setup', 'active', 'inactive', 'error'] as const;
/** What a client may set; pending_setup and error are the service's verdicts. */
export const SETTABLE_CONFIG_STATUSES = ['active', 'inactive'] as const;

export interface ConfigurationRecord {
  tenantId: string;
  id: string;
  name: string;
  connectorType: string;
  status: string;
  /** The non-secret fields of the configuration. */
  publicConfig: Record<string, unknown>;
  /** The secret bundle's version in the secret store; its field names are in secretFields. */
  secretVersion?: string;
  secretFields: string[];
  lastVerifiedAt?: string;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
}

const configurations = new RecordTable<ConfigurationRecord>('connectorconfigs', {
  toEntity: (r): Entity => ({
    partitionKey: r.tenantId,
    rowKey: r.id,
    name: r.name,
    connectorType: r.connectorType,
    status: r.status,
    publicConfig: JSON.stringify(r.publicConfig),
    secretVersion: r.secretVersion,
    secretFields: JSON.stringify(r.secretFields),
    lastVerifiedAt: r.lastVerifiedAt,
    lastError: r.lastError,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }),
  fromEntity: (e) => ({
    tenantId: e.partitionKey,
    id: e.rowKey,
    name: String(e.name),
    connectorType: String(e.connectorType),
    status: String(e.status),
    publicConfig: JSON.parse(String(e.publicConfig ?? '{}')) as Record<string, unknown>,
    secretVersion: optional(e.secretVersion),
    secretFields: JSON.parse(String(e.secretFields ?? '[]')) as string[],
    lastVerifiedAt: optional(e.lastVerifiedAt),
    lastError: optional(e.lastError),
    createdAt: String(e.createdAt),
    updatedAt: String(e.updatedAt),
  }),
});

export const insertConfiguration = (record: ConfigurationRecord) => configurations.insert(record);
export const readConfiguration = (tenantId: string, id: string) => configurations.read(tenantId, id);
export const updateConfigurationRecord = (
  tenantId: string,
  id: string,
  change: (current: ConfigurationRecord) => Promise<ConfigurationRecord | undefined>,
  options?: { known?: Stored<ConfigurationRecord>; attempts?: number },
) => configurations.update(tenantId, id, change, options);
/** Every configuration of every tenant (the sweep's repair). */
export const everyConfiguration = () => configurations.all(`PartitionKey ne ''`);
export const deleteConfiguration = (tenantId: string, id: string) => configurations.delete(tenantId, id);

export interface ListFilter {
  connectorType?: string;
  status?: string;
}

export async function listConfigurations(
  tenantId: string,
  filter: ListFilter,
  limit: number,
  continuationToken?: string,
) {
  const { odata } = await tablesSdk();
  let query = odata`PartitionKey eq ${tenantId}`;
  if (filter.connectorType) query += ` and ${odata`connectorType eq ${filter.connectorType}`}`;
  if (filter.status) query += ` and ${odata`status eq ${filter.status}`}`;
  return configurations.page(query, limit, continuationToken);
}
