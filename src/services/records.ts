// What every kind of record shares in the services: its connector type, the shape of its ids, and the
// answer when writers keep colliding on it.
import { findDefinition } from '../platforms/registry/definitions';
import { ConnectorDefinition } from '../catalog/types';
import { EtagMismatchError } from '../stores/recordTable';
import { conflict, invalid } from '../shared/errors';

const RECORD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Record ids are UUIDs; anything else cannot name a record (and never reaches a table key). */
export const isRecordId = (id: string): boolean => RECORD_ID.test(id);

/** Runs a read-modify-write and answers 409 when it lost to other writers every time. */
export async function whileContended<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof EtagMismatchError) {
      throw conflict(`The ${what} is being changed by many requests at once; try again.`);
    }
    throw err;
  }
}

/** The definition of a connector type named by a client (case-insensitive); 400 for anything else. */
export function definitionOf(type: unknown): ConnectorDefinition {
  if (typeof type !== 'string') throw invalid('connector_type is required: one of the catalog types.');
  const def = findDefinition(type);
  if (!def) throw invalid(`Unknown connector_type '${type.slice(0, 64)}'.`);
  return def;
}
