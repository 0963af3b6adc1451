// What the Functions host hands a function, reproduced for the local host (azure-functions-host,
// GrpcMessageConversionExtensions.ToRpcHttp, with the Node worker's nullable-value capability):
// - query: one value per name; names are compared without case (ASP.NET Core's query collection, keeping
//   the first spelling) and repeated values are joined with "," (StringValues.ToString());
// - headers: names lower-cased, repeated values joined with "," (Node itself would keep only the first of
//   some, such as Authorization, and join others with ", ");
// - body: passed only when the request declares a length above zero, so a chunked body never arrives.
import { IncomingMessage } from 'node:http';

/** The query as the Functions host passes it. */
export function functionsQuery(url: URL): Record<string, string> {
  const names = new Map<string, string>();
  const values = new Map<string, string[]>();
  for (const [name, value] of url.searchParams) {
    const key = name.toLowerCase();
    if (!names.has(key)) names.set(key, name);
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  const query: Record<string, string> = {};
  for (const [key, name] of names) query[name] = (values.get(key) ?? []).join(',');
  return query;
}

/** The headers as the Functions host passes them, from the raw name/value pairs in arrival order. */
export function functionsHeaders(req: IncomingMessage): Record<string, string> {
  const joined = new Map<string, string[]>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    joined.set(name, [...(joined.get(name) ?? []), req.rawHeaders[i + 1]]);
  }
  const headers: Record<string, string> = {};
  for (const [name, values] of joined) headers[name] = values.join(',');
  return headers;
}

/** Whether the Functions host would pass this request's body: only with a declared length above zero. */
export function passesBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0;
}
