// Signed JWTs (ES256, RS256) checked against the keys an issuer publishes at its JWKS URL: the access tokens of
// an external authorization server (`edge.oauth`), and the ID tokens of the upstream OpenID provider the
// in-worker authorization server signs users in with. Claims other than the signature are the caller's to check.

export const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
export const CLOCK_SKEW_SECONDS = 30;
const JWT_ALGORITHMS = {
  ES256: { kty: "EC", import: { name: "ECDSA", namedCurve: "P-256" }, verify: { name: "ECDSA", hash: "SHA-256" } },
  RS256: {
    kty: "RSA",
    import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    verify: { name: "RSASSA-PKCS1-v1_5" },
  },
};
const JWKS_TTL_MS = 5 * 60 * 1000;
const JWKS_REFETCH_MS = 10 * 1000;

// The payload of a JWT whose signature verifies with one of the keys at `jwksUri`, or `{error}` saying why not.
export async function verifiedPayload(token, jwksUri) {
  if (!JWT_SHAPE.test(token)) {
    return { error: "The token is not a JWT." };
  }
  const [headerPart, payloadPart, signaturePart] = token.split(".");
  const header = decodeJwtPart(headerPart);
  const payload = decodeJwtPart(payloadPart);
  const algorithm = header === null ? undefined : JWT_ALGORITHMS[header.alg];
  if (payload === null || algorithm === undefined) {
    return { error: "The token is not a signed JWT of a supported algorithm." };
  }
  const key = await signingKey(jwksUri, header.kid, algorithm);
  const signature = base64UrlBytes(signaturePart);
  const signed = new TextEncoder().encode(`${headerPart}.${payloadPart}`);
  if (key === null || signature === null || !(await crypto.subtle.verify(algorithm.verify, key, signature, signed))) {
    return { error: "The token's signature does not verify." };
  }
  return { payload };
}

// Why the token's validity period excludes now, or null.
export function lifetimeProblem(payload) {
  const now = Date.now() / 1000;
  if (typeof payload.exp !== "number" || payload.exp + CLOCK_SKEW_SECONDS < now) {
    return "The token has expired.";
  }
  if (typeof payload.nbf === "number" && payload.nbf - CLOCK_SKEW_SECONDS > now) {
    return "The token is not valid yet.";
  }
  return null;
}

function decodeJwtPart(part) {
  const bytes = base64UrlBytes(part);
  if (bytes === null) {
    return null;
  }
  try {
    const value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

function base64UrlBytes(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) {
    return null;
  }
  return base64Bytes(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
}

export function base64Bytes(text) {
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

// Each issuer's keys, kept for a few minutes per isolate and fetched again for a key id not seen.
const jwksCache = new Map();

async function signingKey(jwksUri, kid, algorithm) {
  const cached = jwksCache.get(jwksUri) ?? { keys: [], fetchedAt: -Infinity };
  const age = Date.now() - cached.fetchedAt;
  let jwk = age < JWKS_TTL_MS ? findJwk(cached.keys, kid, algorithm) : null;
  // A key id not seen fetches the keys again (the server may have rotated), but at most every few seconds, so
  // tokens with made-up key ids cannot turn the edge into a flood of requests to the issuer.
  if (jwk === null && age >= JWKS_REFETCH_MS) {
    let keys;
    try {
      const response = await fetch(jwksUri, { headers: { accept: "application/json" } });
      keys = response.ok ? (await response.json()).keys : undefined;
      if (!response.ok) {
        console.error(JSON.stringify({ event: "jwks_unavailable", status: response.status }));
      }
    } catch (error) {
      console.error(JSON.stringify({ event: "jwks_unavailable", message: String(error && error.message) }));
    }
    if (keys === undefined) {
      return null;
    }
    const fresh = { keys: Array.isArray(keys) ? keys : [], fetchedAt: Date.now() };
    jwksCache.set(jwksUri, fresh);
    jwk = findJwk(fresh.keys, kid, algorithm);
  }
  if (jwk === null) {
    return null;
  }
  try {
    return await crypto.subtle.importKey("jwk", jwk, algorithm.import, false, ["verify"]);
  } catch {
    return null;
  }
}

function findJwk(keys, kid, algorithm) {
  return (
    keys.find(
      (key) => key.kty === algorithm.kty && (kid === undefined || key.kid === kid) && (key.use ?? "sig") === "sig",
    ) ?? null
  );
}
