// Sends messages from the command line and prints each ack as a JSON line.
// Used by the Rust end-to-end tests (tests/tests/e2e.rs) to drive the official client.
//   node send.mjs ROOM BODY [BODY...]           send each body once
//   node send.mjs --steady ROOM COUNT PERIOD_MS  send COUNT messages, one every PERIOD_MS,
//                                               reconnecting and resending across restarts
// Like the browser client, it keeps unacknowledged messages in an outbox and resends
// them with the same client_id after every (re)join, so nothing is lost or doubled.
import { io } from "socket.io-client";
import { BASE_URL, newClientId } from "./client.mjs";

const args = process.argv.slice(2);
const steady = args[0] === "--steady";
if (steady) args.shift();
const [room, ...rest] = args;
if (!room || rest.length === 0) {
  console.error("usage: node send.mjs [--steady] ROOM (BODY... | COUNT PERIOD_MS)");
  process.exit(2);
}

const socket = io(BASE_URL, {
  auth: { name: "e2e" },
  transports: ["websocket"],
  reconnectionDelay: 200,
  reconnectionDelayMax: 1000,
});
const outbox = new Map(); // client_id -> body, in insertion order
let joined = false;
let done;
const finished = new Promise((resolve) => { done = resolve; });

function deliver(client_id, body) {
  socket.timeout(3000).emit("message", { room, body, client_id }, (err, reply) => {
    if (err || !outbox.has(client_id)) return; // Timed out: resent after the next join.
    if (!reply.ok && reply.error.code !== "unavailable") {
      console.error(`refused: ${JSON.stringify(reply)}`);
      process.exitCode = 1;
    }
    if (reply.ok) console.log(JSON.stringify(reply.message));
    if (reply.ok || reply.error.code !== "unavailable") outbox.delete(client_id);
    if (outbox.size === 0 && queued === total) done();
  });
}

socket.on("connect", () => {
  socket.timeout(3000).emit("join", { room }, (err, reply) => {
    if (err || !reply.ok) return socket.disconnect().connect();
    joined = true;
    for (const [client_id, body] of outbox) deliver(client_id, body);
  });
});
socket.on("disconnect", () => { joined = false; });

const bodies = steady
  ? Array.from({ length: Number(rest[0]) }, (_, i) => `steady ${i}`)
  : rest;
const period = steady ? Number(rest[1]) : 0;
const total = bodies.length;
let queued = 0;
for (const body of bodies) {
  const client_id = newClientId();
  outbox.set(client_id, body);
  queued += 1;
  if (joined) deliver(client_id, body);
  if (period) await new Promise((r) => setTimeout(r, period));
}
const timeout = setTimeout(() => {
  console.error(`gave up with ${outbox.size} unacknowledged messages`);
  process.exit(1);
}, 60000);
if (outbox.size > 0) await finished;
clearTimeout(timeout);
socket.close();
