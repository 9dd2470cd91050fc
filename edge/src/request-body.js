// The POST body: read within the size limit, and read as JSON-RPC where the edge needs to know what it asks.

export async function readLimitedBody(request, limit) {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    if (!/^\d{1,15}$/.test(declared)) {
      return { error: "bad_length" };
    }
    if (Number(declared) > limit) {
      return { error: "too_large" };
    }
  }
  if (request.body === null) {
    return { body: null };
  }
  // A body without Content-Length (chunked) is counted as it arrives and refused once it passes the limit.
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return { error: "too_large" };
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { body };
}

// The POST body as one JSON-RPC request or notification ({method, id, params}), else null: not JSON (the server
// answers with its parse error), a response, or a batch. `id` is null for a notification.
export function jsonRpcRequest(body) {
  const message = parsedBody(body);
  if (typeof message !== "object" || message === null || Array.isArray(message) || typeof message.method !== "string") {
    return null;
  }
  const id = typeof message.id === "string" || typeof message.id === "number" ? message.id : null;
  return { method: message.method, id, params: message.params };
}

// Why a POST body cannot be checked by tool, or null: a batch (the messages in it are not looked at one by one), or a
// body this parser refuses. Another server's parser may accept what this one does not (Python's reads `NaN`), and
// would run a call whose tool was never checked, so such a body is refused, not forwarded.
export function uncheckableBody(body) {
  const message = parsedBody(body);
  if (message === undefined) {
    return { code: PARSE_ERROR, message: "The body is not JSON; this service checks each call's tool, so it must read it." };
  }
  if (Array.isArray(message)) {
    return {
      code: INVALID_REQUEST,
      message: "Send one JSON-RPC request per POST: this service checks each call's tool, so it takes no batches.",
    };
  }
  return null;
}

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;

function parsedBody(body) {
  try {
    return JSON.parse(new TextDecoder().decode(body ?? new Uint8Array()));
  } catch {
    return undefined;
  }
}
