// Server-sent event streams from the origin: kept alive under Cloudflare's read timeout, and rewritten event by
// event where the edge must change a message in them.

const KEEPALIVE_COMMENT = new TextEncoder().encode(": keepalive\n\n");

// Passes an SSE stream through chunk by chunk and writes a comment line whenever it has been quiet for
// `intervalMs`, only between events so a comment never splits one. A client that went away makes the next
// write fail, which cancels the origin stream: an abandoned stream holds a backend for one interval at most.
export function withKeepalive(source, intervalMs, ctx) {
  const { readable, writable } = new TransformStream();
  const writer = writable.getWriter();
  const reader = source.getReader();
  let tail = "\n\n";
  let timer = null;
  let closed = false;
  let pending = Promise.resolve();

  const write = (chunk) => {
    pending = pending.then(() => writer.write(chunk));
    return pending;
  };
  const stop = (error) => {
    if (closed) {
      return;
    }
    closed = true;
    clearTimeout(timer);
    reader.cancel(error).catch(() => {});
    writer.abort(error).catch(() => {});
  };
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (closed) {
        return;
      }
      if (atEventBoundary(tail)) {
        write(KEEPALIVE_COMMENT).catch(stop);
      }
      arm();
    }, intervalMs);
  };
  const pump = async () => {
    arm();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        if (value.byteLength > 0) {
          tail = (tail + new TextDecoder().decode(value.slice(-4))).slice(-4);
          arm();
          await write(value);
        }
      }
      closed = true;
      clearTimeout(timer);
      await pending;
      await writer.close();
    } catch (error) {
      stop(error);
    }
  };
  ctx.waitUntil(pump());
  return readable;
}

function atEventBoundary(tail) {
  return tail.endsWith("\n\n") || tail.endsWith("\r\r") || tail.endsWith("\r\n\r\n");
}

// A stream that passes every event through as it came, but for those whose JSON `data` `rewrite` changes
// (it returns the new message, or null to leave the event alone). Events are passed on whole, which is when a
// client acts on them anyway; a rewritten event keeps its other fields (event, id, retry) and comments.
export function rewritingEvents(rewrite) {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = "";
  let lines = [];
  const drain = (controller, final) => {
    const terminator = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = terminator.exec(buffer); match !== null; match = terminator.exec(buffer)) {
      // A CR last in the chunk may be the first half of a CRLF.
      if (match[0] === "\r" && match.index === buffer.length - 1 && !final) {
        break;
      }
      const content = buffer.slice(start, match.index);
      lines.push({ content, end: match[0] });
      start = match.index + match[0].length;
      if (content === "") {
        controller.enqueue(encoder.encode(rewrittenEvent(lines, rewrite)));
        lines = [];
      }
    }
    buffer = buffer.slice(start);
  };
  return new TransformStream({
    transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true });
      drain(controller, false);
    },
    flush(controller) {
      buffer += decoder.decode();
      drain(controller, true);
      // An event the stream ended in the middle of: clients drop it, so it is passed on as it came.
      const rest = lines.map(({ content, end }) => content + end).join("") + buffer;
      if (rest !== "") {
        controller.enqueue(encoder.encode(rest));
      }
    },
  });
}

function rewrittenEvent(lines, rewrite) {
  const original = lines.map(({ content, end }) => content + end).join("");
  const isData = ({ content }) => content === "data" || content.startsWith("data:");
  const data = lines.filter(isData).map(({ content }) => content.slice(5).replace(/^ /, ""));
  if (data.length === 0) {
    return original;
  }
  let message;
  try {
    message = JSON.parse(data.join("\n"));
  } catch {
    return original;
  }
  const rewritten = rewrite(message);
  if (rewritten === null) {
    return original;
  }
  const firstData = lines.findIndex(isData);
  return lines
    .map((line, index) => {
      if (index === firstData) {
        return `data: ${JSON.stringify(rewritten)}${line.end}`;
      }
      return isData(line) ? "" : line.content + line.end;
    })
    .join("");
}
