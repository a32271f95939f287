// The host backend's side of the edges' event deliveries, for the end-to-end
// suite: a loopback HTTP server that verifies every delivery with the npm
// `standardwebhooks` package (an implementation independent of the edge's
// Rust one), records it, and answers as the test asked (success, an error,
// a hang, a dropped connection), so retries and their limits can be tested.
//
// Environment:
//   RECEIVER_PORT     port on 127.0.0.1; 0 picks one. The first stdout line
//                     is `listening 127.0.0.1:PORT`.
//   RECEIVER_SECRETS  JSON object: edge name -> list of `whsec_` secrets.
//                     Every secret listed must verify a delivery on its own,
//                     so an edge in rotation must send both signatures.
//   RECEIVER_RECORD   optional file; every request to /hook/ is appended to
//                     it as received (request line, headers, body), for the
//                     leak scan of what the edges sent.
//
// Routes (the contract tests/src/receiver.rs mirrors):
//   POST /hook/{edge}      a delivery: verified, recorded, answered per mode
//   POST /control/{edge}   {"mode": "ok"|"fail500"|"timeout"|"drop"|"gone410",
//                           "user_id"?: only that user's deliveries, queued after
//                           the user's earlier scripted answers,
//                          "count": N?}: the next N valid deliveries (or all
//                          until changed) get that answer, then back to ok
//   GET  /deliveries/{edge}[?user_id=X]  the records, in arrival order
//   GET  /healthz          200

import { appendFileSync } from "node:fs";
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const MAX_BODY_BYTES = 64 * 1024;
// A held (`timeout` mode) request is cut after this long even if the client
// never gives up, so a stuck client cannot pile up sockets.
const HOLD_LIMIT_MS = 60_000;
const MODES = new Set(["ok", "fail500", "timeout", "drop", "gone410"]);

function fail(message) {
  process.stderr.write(`receiver: ${message}\n`);
  process.exit(2);
}

// Parsed once, so a bad secret fails the start, not a delivery.
function parseSecrets(text) {
  let parsed;
  try {
    parsed = JSON.parse(text ?? "");
  } catch (error) {
    fail(`RECEIVER_SECRETS is not JSON: ${error.message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    fail("RECEIVER_SECRETS must be an object of edge name -> list of secrets");
  }
  const edges = new Map();
  for (const [edge, secrets] of Object.entries(parsed)) {
    if (!Array.isArray(secrets) || secrets.length === 0) {
      fail(`RECEIVER_SECRETS.${edge} must be a non-empty list of secrets`);
    }
    const verifiers = secrets.map((secret, index) => {
      // The library decodes leniently (it ignores stray characters and
      // missing padding); a test run's secrets are held to the spec's form
      // so a garbled one fails here instead of verifying something else.
      const text = typeof secret === "string" ? secret : "";
      const key = text.slice("whsec_".length);
      const bytes = Buffer.from(key, "base64");
      if (
        !text.startsWith("whsec_") ||
        bytes.toString("base64") !== key ||
        bytes.length < 24 ||
        bytes.length > 64
      ) {
        fail(
          `RECEIVER_SECRETS.${edge}[${index}] must be whsec_ and the padded base64 of 24 to 64 bytes`,
        );
      }
      try {
        return new Webhook(secret);
      } catch (error) {
        fail(
          `RECEIVER_SECRETS.${edge}[${index}] is not a Standard Webhooks secret: ${error.message}`,
        );
      }
    });
    edges.set(edge, {
      verifiers,
      deliveries: [],
      attemptsById: new Map(),
      mode: "ok",
      remaining: null,
      // Per user: a queue of {mode, remaining}, taken before the edge's
      // mode, so a test can script one user's answers while other tests
      // share the edge.
      userModes: new Map(),
    });
  }
  return edges;
}

const edges = parseSecrets(process.env.RECEIVER_SECRETS);
const recordPath = process.env.RECEIVER_RECORD || null;
const port = Number(process.env.RECEIVER_PORT ?? "0");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  fail(`RECEIVER_PORT must be a port number, not ${process.env.RECEIVER_PORT}`);
}

function answerJson(response, status, value) {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}

function answerText(response, status, text) {
  response.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

// Reads the whole body, or resolves `null` once it passes the limit.
function readBody(request) {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers["content-length"]);
    if (declared > MAX_BODY_BYTES) {
      resolve(null);
      return;
    }
    const chunks = [];
    let length = 0;
    request.on("data", (chunk) => {
      length += chunk.length;
      if (length > MAX_BODY_BYTES) {
        resolve(null);
        // Stop buffering; the rest of the upload is discarded.
        request.removeAllListeners("data");
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function appendRecord(request, body) {
  if (recordPath === null) {
    return;
  }
  const head = [`${request.method} ${request.url} HTTP/${request.httpVersion}`];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    head.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
  }
  // The same separator the edges' recorders use: no token contains it, so
  // two requests never join into a match.
  const bytes = Buffer.concat([
    Buffer.from(`${head.join("\r\n")}\r\n\r\n`),
    body ?? Buffer.alloc(0),
    Buffer.from("\n\0\n"),
  ]);
  try {
    appendFileSync(recordPath, bytes);
  } catch (error) {
    process.stderr.write(`receiver: writing ${recordPath}: ${error.message}\n`);
  }
}

// `valid` only when every secret of the edge verifies the delivery alone;
// the error names the first secret that did not.
function verify(state, body, headers) {
  const signed = {
    "webhook-id": headers["webhook-id"] ?? "",
    "webhook-timestamp": headers["webhook-timestamp"] ?? "",
    "webhook-signature": headers["webhook-signature"] ?? "",
  };
  for (const [index, verifier] of state.verifiers.entries()) {
    try {
      verifier.verify(body, signed, { jsonParse: false });
    } catch (error) {
      return `secret ${index + 1} of ${state.verifiers.length}: ${error.message}`;
    }
  }
  return null;
}

function parseEvent(text) {
  try {
    const event = JSON.parse(text);
    return event !== null && typeof event === "object" && !Array.isArray(event)
      ? { event, error: null }
      : { event: {}, error: "body is not a JSON object" };
  } catch (error) {
    return { event: {}, error: `body is not JSON: ${error.message}` };
  }
}

// The answer the current mode gives, counting the delivery against it:
// the user's scripted answers first, then the edge's.
function takeMode(state, userId) {
  const queue = userId === null ? undefined : state.userModes.get(userId);
  if (queue !== undefined && queue.length > 0) {
    const head = queue[0];
    head.remaining -= 1;
    if (head.remaining <= 0) {
      queue.shift();
    }
    return head.mode;
  }
  const mode = state.mode;
  if (state.remaining !== null) {
    state.remaining -= 1;
    if (state.remaining <= 0) {
      state.mode = "ok";
      state.remaining = null;
    }
  }
  return mode;
}

async function hook(request, response, edge, state) {
  const body = await readBody(request);
  appendRecord(request, body);
  const headers = request.headers;
  const id = headers["webhook-id"] ?? null;
  const attempt = id === null ? 1 : (state.attemptsById.get(id) ?? 0) + 1;
  if (id !== null) {
    state.attemptsById.set(id, attempt);
  }
  const record = {
    edge,
    id,
    timestamp: headers["webhook-timestamp"] ?? null,
    event_timestamp: null,
    type: null,
    data: null,
    valid: false,
    received_at_ms: Date.now(),
    attempt,
  };
  state.deliveries.push(record);
  try {
    answerDelivery(request, response, state, record, body);
  } catch (error) {
    // The route's handler answers 500; the record says so too.
    record.answered = 500;
    record.verify_error ??= `receiver error: ${error.message}`;
    throw error;
  } finally {
    const verdict = record.valid ? "valid" : `invalid (${record.verify_error})`;
    process.stdout.write(
      `${edge} ${id} attempt ${attempt} ${record.type} ${verdict} -> ${record.answered}\n`,
    );
  }
}

function answerDelivery(request, response, state, record, body) {
  const headers = request.headers;
  if (body === null) {
    record.verify_error = `body larger than ${MAX_BODY_BYTES} bytes`;
    record.answered = 413;
    // Closing, since the unread rest of the upload may still be arriving.
    response.setHeader("connection", "close");
    answerText(response, 413, "too large\n");
    return;
  }
  const text = body.toString("utf8");
  const { event, error: shapeError } = parseEvent(text);
  record.event_timestamp = event.timestamp ?? null;
  record.type = event.type ?? null;
  record.data = event.data ?? null;
  const verifyError = verify(state, text, headers) ?? shapeError;
  if (verifyError !== null) {
    // A forgery or a malformed delivery is the edge's bug, not a scripted
    // failure: it is refused and does not use up the mode's count.
    record.verify_error = verifyError;
    record.answered = 400;
    answerText(response, 400, `${verifyError}\n`);
    return;
  }
  record.valid = true;
  const userId = typeof record.data?.user_id === "string" ? record.data.user_id : null;
  switch (takeMode(state, userId)) {
    case "fail500":
      record.answered = 500;
      answerText(response, 500, "scripted failure\n");
      break;
    case "gone410":
      record.answered = 410;
      answerText(response, 410, "gone\n");
      break;
    case "drop":
      record.answered = "drop";
      request.socket.destroy();
      break;
    case "timeout": {
      record.answered = "timeout";
      const socket = request.socket;
      const cut = setTimeout(() => socket.destroy(), HOLD_LIMIT_MS);
      socket.once("close", () => clearTimeout(cut));
      break;
    }
    default:
      record.answered = 204;
      response.writeHead(204);
      response.end();
  }
}

async function control(request, response, state) {
  const body = await readBody(request);
  if (body === null) {
    answerText(response, 413, "too large\n");
    return;
  }
  const { event: setting, error } = parseEvent(body.toString("utf8"));
  if (error !== null) {
    answerText(response, 400, `${error}\n`);
    return;
  }
  const { mode, count, user_id: userId } = setting;
  if (!MODES.has(mode)) {
    answerText(response, 400, `mode must be one of ${[...MODES].join(", ")}\n`);
    return;
  }
  if (count !== undefined && count !== null && !(Number.isInteger(count) && count > 0)) {
    answerText(response, 400, "count must be a whole number above 0\n");
    return;
  }
  if (userId !== undefined && userId !== null) {
    if (typeof userId !== "string" || userId.length === 0) {
      answerText(response, 400, "user_id must be a string\n");
      return;
    }
    const queue = state.userModes.get(userId) ?? [];
    queue.push({ mode, remaining: count ?? Number.POSITIVE_INFINITY });
    state.userModes.set(userId, queue);
    answerJson(response, 200, { user_id: userId, queued: queue.length });
    return;
  }
  state.mode = mode;
  state.remaining = mode === "ok" ? null : (count ?? null);
  answerJson(response, 200, { mode: state.mode, count: state.remaining });
}

function deliveries(response, state, query) {
  const userId = query.get("user_id");
  const records =
    userId === null
      ? state.deliveries
      : state.deliveries.filter((record) => record.data?.user_id === userId);
  answerJson(response, 200, records);
}

async function route(request, response) {
  const url = new URL(request.url ?? "/", "http://receiver");
  if (url.pathname === "/healthz") {
    answerText(response, 200, "ok\n");
    return;
  }
  const match = /^\/(hook|control|deliveries)\/([^/]+)$/.exec(url.pathname);
  if (match === null) {
    answerText(response, 404, "no such route\n");
    return;
  }
  const [, kind, rawEdge] = match;
  let edge;
  try {
    edge = decodeURIComponent(rawEdge);
  } catch {
    answerText(response, 400, "bad edge name\n");
    return;
  }
  const state = edges.get(edge);
  if (state === undefined) {
    answerText(response, 404, `no secrets configured for edge ${edge}\n`);
    return;
  }
  const method = kind === "deliveries" ? "GET" : "POST";
  if (request.method !== method) {
    response.setHeader("allow", method);
    answerText(response, 405, `use ${method}\n`);
    return;
  }
  if (kind === "hook") {
    await hook(request, response, edge, state);
  } else if (kind === "control") {
    await control(request, response, state);
  } else {
    deliveries(response, state, url.searchParams);
  }
}

const server = createServer((request, response) => {
  route(request, response).catch((error) => {
    process.stderr.write(`receiver: ${request.method} ${request.url}: ${error.stack}\n`);
    if (!response.headersSent && !response.destroyed) {
      answerText(response, 500, "receiver error\n");
    } else {
      response.destroy();
    }
  });
});
// Malformed HTTP gets a 400 and a closed socket, never a crash.
server.on("clientError", (error, socket) => {
  if (socket.writable && !socket.destroyed) {
    socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
  } else {
    socket.destroy();
  }
});
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening 127.0.0.1:${server.address().port}\n`);
});
