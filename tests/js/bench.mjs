// Realtime benchmark: acknowledged messages per second and ack latency through the
// stack, for several client shapes, run side by side in one process so the numbers can
// be compared as ratios (machines here are noisy). Bounded: a fixed message count each.
//   LIVECHAT_E2E_URL=http://127.0.0.1:8080 node bench.mjs [MESSAGES_PER_SCENARIO]
import { open, connected, request, uniqueRoom, newClientId } from "./client.mjs";

const total = Number(process.argv[2] || 2000);

async function scenario(name, { clients, transports, pipelined }) {
  const room = uniqueRoom("bench");
  const sockets = await Promise.all(
    Array.from({ length: clients }, (_, i) => connected(open(`bench${i}`, { transports }))),
  );
  await Promise.all(sockets.map((s) => request(s, "join", { room })));
  const latencies = [];
  const perClient = Math.ceil(total / clients);
  const started = performance.now();
  await Promise.all(sockets.map(async (socket) => {
    const sendOne = async (i) => {
      const t0 = performance.now();
      const reply = await request(socket, "message", { room, body: `m${i}`, client_id: newClientId() }, 30000);
      if (!reply.ok) throw new Error(JSON.stringify(reply));
      latencies.push(performance.now() - t0);
    };
    if (pipelined) {
      // Up to 16 in flight, under the per-socket rate limit's burst.
      for (let i = 0; i < perClient; i += 16) {
        await Promise.all(Array.from({ length: Math.min(16, perClient - i) }, (_, k) => sendOne(i + k)));
        await new Promise((r) => setTimeout(r, 800)); // stay under 20 events/s per socket
      }
    } else {
      for (let i = 0; i < perClient; i++) {
        await sendOne(i);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  sockets.forEach((s) => s.close());
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return { name, messages: latencies.length, perSecond: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99) };
}

const scenarios = [
  ["websocket, 50 clients, one at a time", { clients: 50, transports: ["websocket"], pipelined: false }],
  ["long-polling, 50 clients, one at a time", { clients: 50, transports: ["polling"], pipelined: false }],
  ["websocket, 50 clients, 16 in flight", { clients: 50, transports: ["websocket"], pipelined: true }],
];
const results = [];
for (const [name, shape] of scenarios) results.push(await scenario(name, shape));
const base = results[0];
console.log("| scenario | messages | acked msg/s | p50 ack ms | p99 ack ms | p50 vs first |");
console.log("|---|---|---|---|---|---|");
for (const r of results) {
  console.log(`| ${r.name} | ${r.messages} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${(r.p50 / base.p50).toFixed(2)}× |`);
}
