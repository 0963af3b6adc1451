// Lifecycle events: the one place where a change of a connection's or a configuration's state is announced.
// Services emit an event only after the write that made the change has landed (the winner of an ETag race),
// so one change is one event whichever instance, request or sweep made it. Delivery (webhooks) subscribes
// here; services never know who listens.

export const LIFECYCLE_EVENT_TYPES = [
  'connection.active',
  'connection.error',
  'connection.expired',
  'connection.revoked',
  'connection.deleted',
  'connection.reconnect_needed',
  'configuration.verified',
  'configuration.error',
  'webhook.test',
] as const;

export type LifecycleEventType = (typeof LIFECYCLE_EVENT_TYPES)[number];

/** What a delivery carries in `data`: never a token or a secret. */
export interface LifecycleEventData {
  connection_id?: string;
  configuration_id?: string;
  connector_type: string;
  status: string;
  previous_status: string | null;
  reconnect_by?: string | null;
  error?: string;
}

export interface LifecycleEvent {
  tenantId: string;
  type: LifecycleEventType;
  /** ISO time of the change. */
  timestamp: string;
  data: LifecycleEventData;
}

/** A listener; it owns its own durability and failures (an emitter never fails because of one). */
export type LifecycleListener = (event: LifecycleEvent) => Promise<void>;

const listeners = new Set<LifecycleListener>();

/** Subscribes a listener; returns the function that unsubscribes it. */
export function onLifecycleEvent(listener: LifecycleListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Announces a change that has landed. Waits for the listeners (so a listener can make the event durable
 * before the request answers) but never throws: the change itself already happened.
 */
export async function emitLifecycleEvent(
  event: LifecycleEvent,
  onListenerError?: (error: unknown) => void,
): Promise<void> {
  await Promise.all(
    [...listeners].map(async (listener) => {
      try {
        await listener(event);
      } catch (error) {
        onListenerError?.(error);
      }
    }),
  );
}
