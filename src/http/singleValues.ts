// Repeated query parameters and headers, answered the same way under both hosts. The Functions host hands a
// function one value per name: repeated query values (names compared without case) and repeated header
// values are joined with ",". The app cannot tell `?limit=1&limit=2` from `?limit=1,2` by that value, so it
// reads the query string of the URL itself and refuses a repeated name; a header the app reads as one value
// (Authorization, Content-Type, X-Session-Id) cannot hold a comma when sent once, so a comma there means it
// came more than once. Request-id and trace headers are not refused: a malformed one is ignored (W3C Trace
// Context asks for exactly that), and the request gets an id of its own.
import { HttpRequest } from '@azure/functions';
import { badRequest } from './errors';

/** Headers the app reads as a single value, as the answer names them. */
const SINGLE_VALUED_HEADERS = ['Authorization', 'Content-Type', 'X-Session-Id'];

/** The first query parameter whose name (without case) appears more than once in `url`, if any. */
export function repeatedQueryParameter(url: string): string | undefined {
  const seen = new Set<string>();
  for (const name of new URL(url).searchParams.keys()) {
    const key = name.toLowerCase();
    if (seen.has(key)) return name.slice(0, 100);
    seen.add(key);
  }
  return undefined;
}

/** 400 for a repeated query parameter or a single-valued header that came more than once. */
export function refuseRepeatedValues(request: HttpRequest): void {
  const parameter = repeatedQueryParameter(request.url);
  if (parameter !== undefined) {
    throw badRequest(`The query parameter "${parameter}" is given more than once; give it once.`, {
      code: 'repeated_query_parameter',
      details: { parameter },
    });
  }
  for (const header of SINGLE_VALUED_HEADERS) {
    if (request.headers.get(header)?.includes(',')) {
      throw badRequest(
        `The ${header} header holds more than one value (it was sent more than once, or contains a comma); send one.`,
        { code: 'repeated_header', details: { header } },
      );
    }
  }
}
