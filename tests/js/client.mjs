// Shared helpers for the end-to-end suites: the base URL under test, and promise
// wrappers over the official socket.io client.
import { io } from "socket.io-client";
import { randomUUID } from "node:crypto";

export const BASE_URL = process.env.LIVECHAT_E2E_URL;
if (!BASE_URL) {
  throw new Error("LIVECHAT_E2E_URL is not set: run these suites through `chatctl test`");
}

/** A unique room name, so suites never see each other's messages. */
export function uniqueRoom(prefix = "t") {
  return `${prefix}-${randomUUID().slice(0, 12)}`;
}

/** Opens a socket (not waiting for it); events emitted now are sent once connected. */
export function open(name, options = {}) {
  return io(BASE_URL, {
    auth: name === undefined ? undefined : { name },
    forceNew: true,
    reconnection: false,
    transports: ["websocket"],
    ...options,
  });
}

/** Resolves when the socket is connected; rejects with the server's connect error. */
export function connected(socket, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve(socket);
    const timer = setTimeout(() => reject(new Error("connect timed out")), timeoutMs);
    socket.once("connect", () => { clearTimeout(timer); resolve(socket); });
    socket.once("connect_error", (err) => { clearTimeout(timer); reject(err); });
  });
}

/** Connects and resolves with the connected socket. */
export async function connect(name, options = {}) {
  return connected(open(name, options));
}

/** Emits with an ack and resolves with the ack's payload. */
export function request(socket, event, payload, timeoutMs = 10000) {
  return socket.timeout(timeoutMs).emitWithAck(event, payload);
}

/** Collects every `message` event the socket receives. */
export function collect(socket) {
  const seen = [];
  socket.on("message", (message) => seen.push(message));
  return seen;
}

/** Waits until `predicate()` holds, polling; fails after `timeoutMs`. */
export async function eventually(predicate, timeoutMs = 5000, what = "condition") {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const newClientId = () => randomUUID();
