// Requests per client name (the CLIENT_RATE_LIMIT binding), after authentication.

import { jsonError } from "./responses.js";

// The 429 answer of a client over its rate, or null. Counted per client name, not per IP (the zone rule does
// that): a client's budget follows its token.
export async function clientRateLimited(config, clientName, requestId) {
  const { success } = await config.clientRateLimit.limit({ key: clientName });
  if (success) {
    return null;
  }
  const limited = jsonError(429, "rate_limited", `Client ${clientName} is over its request rate.`, requestId);
  // The period is 10 or 60 s (the binding's choice): 60 is always enough for the count to have reset.
  limited.headers.set("retry-after", "60");
  return limited;
}
