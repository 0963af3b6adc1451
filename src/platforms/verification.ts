// What proving an app's credentials looks like for every family: the cheapest call that a wrong secret
// fails, and how to read its answer. Each family module supplies a probe; this runs it.
import { ConnectorDefinition } from '../catalog/types';
import { redact } from '../shared/redact';
import { PlatformRequest, PlatformResponse, platformRequest } from '../platformHttp/client';

export type ProbeVerdict = { ok: true } | { ok: false; reason: string };

export interface AppProbe {
  request(def: ConnectorDefinition, config: Record<string, string>, redirectUri: string): PlatformRequest;
  /** Reads the answer; anything it cannot classify is a platform failure (thrown by the caller). */
  verdict(res: PlatformResponse, config: Record<string, string>): ProbeVerdict | undefined;
}

export class PlatformAnswerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'PlatformAnswerError';
  }
}

export async function runProbe(
  probe: AppProbe,
  def: ConnectorDefinition,
  config: Record<string, string>,
  redirectUri: string,
): Promise<ProbeVerdict> {
  const res = await platformRequest(probe.request(def, config, redirectUri));
  const verdict = probe.verdict(res, config);
  if (verdict) return verdict.ok ? verdict : { ok: false, reason: redact(verdict.reason) };
  throw new PlatformAnswerError(
    res.status,
    `${def.name} answered HTTP ${res.status} to the credential check.`,
  );
}
