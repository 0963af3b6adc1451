// One table of records keyed by (partition, row), with ETag-guarded writes. Each store maps its record to
// an entity of plain strings, so nothing depends on Table Storage's type annotations.
import type { TableEntity } from '@azure/data-tables';
import { tableClient, tableErrorStatus } from './tables';

export interface Stored<T> {
  value: T;
  etag: string;
}

/** A conditional write found the record changed (or gone) since it was read. */
export class EtagMismatchError extends Error {
  constructor() {
    super('The record was changed by another request.');
    this.name = 'EtagMismatchError';
  }
}

/**
 * An insert that did not go through. `absent`: a read afterwards found no record, so whatever was written for
 * it may be taken back; otherwise its fate is unknown (storage did not answer the read either).
 */
export class InsertFailedError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly absent: boolean,
  ) {
    super(cause instanceof Error ? cause.message : 'The insert failed.');
    this.name = 'InsertFailedError';
  }
}

/** A record on a page that could not be decoded: listed by key, so one bad row never fails the page. */
export interface UnreadableRecord {
  partitionKey: string;
  rowKey: string;
}

export type Entity = TableEntity<Record<string, string | undefined>>;

/** The same properties with the same values (an absent property and an undefined one are the same). */
function sameEntity(a: Entity, b: Entity): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if ((a[key] ?? undefined) !== (b[key] ?? undefined)) return false;
  return true;
}

export interface RecordCodec<R> {
  toEntity(record: R): Entity;
  fromEntity(entity: Entity): R;
}

export class RecordTable<R> {
  constructor(
    private readonly table: string,
    private readonly codec: RecordCodec<R>,
  ) {}

  private client() {
    return tableClient(this.table);
  }

  /**
   * Inserts a record whose key the caller has just generated; idempotent in effect. When storage's answer is
   * lost, the SDK retries and finds the entity there (409); any failure is therefore followed by a read: the
   * record there as written means the insert landed, and its ETag is the answer. Otherwise InsertFailedError.
   */
  async insert(record: R): Promise<string> {
    const entity = this.codec.toEntity(record);
    try {
      return (await (await this.client()).createEntity(entity)).etag ?? '';
    } catch (err) {
      let found: Stored<R> | undefined;
      try {
        found = await this.read(entity.partitionKey, entity.rowKey);
      } catch {
        throw new InsertFailedError(err, false);
      }
      if (found && sameEntity(this.codec.toEntity(found.value), entity)) return found.etag;
      throw new InsertFailedError(err, found === undefined);
    }
  }

  /**
   * Inserts many new records in batch transactions (up to 100 per partition per request): for seeding and
   * migrations. A failed batch fails as a whole (the service's transactions are all-or-nothing).
   */
  async insertMany(records: R[]): Promise<void> {
    const byPartition = new Map<string, Entity[]>();
    for (const entity of records.map((r) => this.codec.toEntity(r))) {
      const list = byPartition.get(entity.partitionKey);
      if (list) list.push(entity);
      else byPartition.set(entity.partitionKey, [entity]);
    }
    const client = await this.client();
    for (const entities of byPartition.values()) {
      for (let i = 0; i < entities.length; i += 100) {
        await client.submitTransaction(entities.slice(i, i + 100).map((e) => ['create', e] as const));
      }
    }
  }

  /** Writes the record whatever is there (for rows no reader depends on under an ETag: index entries). */
  async upsert(record: R): Promise<void> {
    await (await this.client()).upsertEntity(this.codec.toEntity(record), 'Replace');
  }

  async read(partitionKey: string, rowKey: string): Promise<Stored<R> | undefined> {
    try {
      const entity = await (
        await this.client()
      ).getEntity<Record<string, string | undefined>>(partitionKey, rowKey);
      return { value: this.codec.fromEntity(entity as unknown as Entity), etag: entity.etag ?? '' };
    } catch (err) {
      if (tableErrorStatus(err) === 404) return undefined;
      throw err;
    }
  }

  /** Replaces the record if its ETag is still `etag`; EtagMismatchError otherwise. */
  async replace(record: R, etag: string): Promise<string> {
    try {
      const result = await (
        await this.client()
      ).updateEntity(this.codec.toEntity(record), 'Replace', { etag });
      return result.etag ?? '';
    } catch (err) {
      const status = tableErrorStatus(err);
      if (status === 412 || status === 404) throw new EtagMismatchError();
      throw err;
    }
  }

  /** Deletes the record (only at `etag` when given); false when it was not there. */
  async delete(partitionKey: string, rowKey: string, etag?: string): Promise<boolean> {
    try {
      await (await this.client()).deleteEntity(partitionKey, rowKey, etag ? { etag } : undefined);
      return true;
    } catch (err) {
      const status = tableErrorStatus(err);
      if (status === 404) return false;
      if (status === 412) throw new EtagMismatchError();
      throw err;
    }
  }

  /**
   * Read-modify-write under the record's ETag: applies `change` to the current record and, when another writer
   * got in first, re-reads and applies it again, so no concurrent write is lost. `change` returns undefined to
   * leave the record as it is, and may throw to stop. `known` is the record as the caller just read it, tried
   * first to save a read. Undefined when the record does not exist; EtagMismatchError after `attempts` losses.
   */
  async update(
    partitionKey: string,
    rowKey: string,
    change: (current: R) => R | undefined | Promise<R | undefined>,
    options: { known?: Stored<R>; attempts?: number } = {},
  ): Promise<Stored<R> | undefined> {
    const attempts = options.attempts ?? 20;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const current = attempt === 0 && options.known ? options.known : await this.read(partitionKey, rowKey);
      if (!current) return undefined;
      const next = await change(current.value);
      if (!next) return current;
      try {
        return { value: next, etag: await this.replace(next, current.etag) };
      } catch (err) {
        if (!(err instanceof EtagMismatchError)) throw err;
        // Spread the retries of many writers racing on one record.
        await new Promise((r) => setTimeout(r, Math.random() * 20 * (attempt + 1)));
      }
    }
    throw new EtagMismatchError();
  }

  /**
   * One page of records matching an OData filter built with the `odata` template. A row that does not decode
   * is named in `unreadable` instead of failing the page.
   */
  async page(
    filter: string,
    limit: number,
    continuationToken?: string,
  ): Promise<{ records: R[]; unreadable: UnreadableRecord[]; continuationToken?: string }> {
    const pages = (await this.client())
      .listEntities<Record<string, string | undefined>>({ queryOptions: { filter } })
      .byPage({ maxPageSize: limit, continuationToken });
    const page = await pages.next();
    if (page.done || !page.value) return { records: [], unreadable: [] };
    const records: R[] = [];
    const unreadable: UnreadableRecord[] = [];
    for (const entity of page.value) {
      try {
        records.push(this.codec.fromEntity(entity as unknown as Entity));
      } catch {
        unreadable.push({ partitionKey: entity.partitionKey ?? '', rowKey: entity.rowKey ?? '' });
      }
    }
    return { records, unreadable, continuationToken: page.value.continuationToken };
  }

  /** Every record matching a filter, with its ETag. */
  async *all(filter: string): AsyncGenerator<Stored<R>> {
    const entities = (await this.client()).listEntities<Record<string, string | undefined>>({
      queryOptions: { filter },
    });
    for await (const entity of entities)
      yield { value: this.codec.fromEntity(entity as unknown as Entity), etag: entity.etag ?? '' };
  }
}

/** Reads an optional string field back from an entity. */
export const optional = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;
