// The public realtime API end to end, through nginx, with the official socket.io client
// (and a raw websocket client for the pipelining race). See docs/realtime-api.md.
import { test } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import {
  BASE_URL, open, connect, connected, request, collect, eventually, uniqueRoom, newClientId,
} from "./client.mjs";

const send = (socket, room, body, client_id = newClientId()) =>
  request(socket, "message", { room, body, client_id });

async function history(room, after_seq = 0) {
  const socket = await connect("auditor");
  try {
    const reply = await request(socket, "join", { room, after_seq });
    assert.equal(reply.ok, true);
    return reply.messages;
  } finally {
    socket.close();
  }
}

test("a message reaches both sockets in general with the same id and seq", async () => {
  const [ann, bob] = await Promise.all([connect("ann"), connect("bob")]);
  try {
    const annSeen = collect(ann);
    const bobSeen = collect(bob);
    for (const socket of [ann, bob]) {
      const reply = await request(socket, "join", { room: "general" });
      assert.equal(reply.ok, true);
      assert.equal(reply.room, "general");
      assert.ok(Array.isArray(reply.messages) && reply.messages.length <= 50);
    }
    const clientId = newClientId();
    const ack = await send(ann, "general", "hello from ann", clientId);
    assert.equal(ack.ok, true);
    const m = ack.message;
    assert.deepEqual(Object.keys(m).sort(), ["author", "body", "client_id", "created_at", "id", "room", "seq"]);
    assert.equal(m.author, "ann");
    assert.equal(m.client_id, clientId);
    assert.match(m.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const mine = (seen) => seen.filter((x) => x.client_id === clientId);
    await eventually(() => mine(annSeen).length === 1 && mine(bobSeen).length === 1, 5000, "both broadcasts");
    assert.deepEqual(mine(annSeen)[0], m);
    assert.deepEqual(mine(bobSeen)[0], m);
  } finally {
    ann.close();
    bob.close();
  }
});

test("resending a client_id returns the original and broadcasts nothing", async () => {
  const room = uniqueRoom("idem");
  const [ann, bob] = await Promise.all([connect("ann"), connect("bob")]);
  try {
    await request(ann, "join", { room });
    await request(bob, "join", { room });
    const bobSeen = collect(bob);
    const clientId = newClientId();
    const first = await send(ann, room, "once", clientId);
    const again = await send(ann, room, "once, but edited", clientId);
    assert.equal(first.ok, true);
    assert.equal(first.duplicate, false);
    assert.equal(again.ok, true);
    assert.equal(again.duplicate, true);
    assert.deepEqual(again.message, first.message);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(bobSeen.length, 1, "one broadcast only");
    const stored = await history(room);
    assert.equal(stored.length, 1);
    assert.equal(stored[0].body, "once");
  } finally {
    ann.close();
    bob.close();
  }
});

test("bad payloads get their error code, keep the connection, and store nothing", async () => {
  const room = uniqueRoom("bad");
  const socket = await connect("mallory");
  try {
    assert.equal((await request(socket, "join", { room })).ok, true);
    const baseline = await send(socket, room, "baseline");
    assert.equal(baseline.ok, true);
    const cases = [
      ["empty body", "message", { room, body: "", client_id: newClientId() }, "empty"],
      ["blank body", "message", { room, body: " \n\t ", client_id: newClientId() }, "empty"],
      ["4,001 characters", "message", { room, body: "x".repeat(4001), client_id: newClientId() }, "too_long"],
      ["missing room", "message", { body: "hi", client_id: newClientId() }, "invalid"],
      ["non-string body", "message", { room, body: 42, client_id: newClientId() }, "invalid"],
      ["NUL in body", "message", { room, body: "a\u0000b", client_id: newClientId() }, "invalid"],
      ["missing client_id", "message", { room, body: "hi" }, "invalid"],
      ["over-long client_id", "message", { room, body: "hi", client_id: "c".repeat(65) }, "invalid"],
      ["room not joined", "message", { room: uniqueRoom("other"), body: "hi", client_id: newClientId() }, "not_joined"],
      ["payload is a string", "message", "hello", "invalid"],
      ["payload is an array of the fields", "message", [room, "hi", newClientId()], "invalid"],
      ["terminal escape in body", "message", { room, body: "a\u001b[31mred", client_id: newClientId() }, "invalid"],
      ["only invisible characters", "message", { room, body: "\u00a0\u200b", client_id: newClientId() }, "empty"],
      ["body is an object", "message", { room, body: { html: "<b>" }, client_id: newClientId() }, "invalid"],
      ["payload is null", "message", null, "invalid"],
      ["join without room", "join", {}, "invalid"],
      ["join an invalid room", "join", { room: "No Spaces!" }, "invalid"],
      ["join with negative after_seq", "join", { room, after_seq: -1 }, "invalid"],
      ["join with non-integer after_seq", "join", { room, after_seq: "7" }, "invalid"],
      ["unknown event", "shout", { room }, "invalid"],
    ];
    for (const [what, event, payload, code] of cases) {
      const reply = await request(socket, event, payload);
      assert.equal(reply.ok, false, what);
      assert.equal(reply.error.code, code, `${what}: ${JSON.stringify(reply)}`);
      assert.equal(typeof reply.error.message, "string", what);
      assert.ok(socket.connected, `still connected after ${what}`);
    }
    const ok = await send(socket, room, "  x".padEnd(4002, "y") + "  ");
    assert.equal(ok.ok, true, "4,000 characters after trimming is allowed");
    const stored = await history(room);
    assert.deepEqual(stored.map((m) => m.seq), [1, 2], "only the two valid messages were stored");
  } finally {
    socket.close();
  }
});

test("a bad name is refused at connect with a reason", async () => {
  for (const [auth, reason] of [
    [{ name: "" }, /^empty: name must not be empty/],
    [{ name: "   " }, /^empty:/],
    [{ name: "x".repeat(33) }, /^too_long:/],
    [{ name: "bell\u0007" }, /^invalid:.*control/],
    [{ name: "\u200b" }, /^invalid:.*invisible/],
    [{ name: "\u202eadmin" }, /^invalid:/],
    [{ name: 7 }, /^invalid:/],
    [{}, /^invalid:.*name/],
  ]) {
    await assert.rejects(
      connected(open(undefined, { auth })),
      (err) => reason.test(err.message),
      JSON.stringify(auth),
    );
  }
});

test("join with after_seq returns exactly the missed messages", async () => {
  const room = uniqueRoom("gap");
  const ann = await connect("ann");
  await request(ann, "join", { room });
  const seen = (await send(ann, room, "before")).message.seq;
  ann.close();

  const bob = await connect("bob");
  await request(bob, "join", { room });
  const missed = [];
  for (const body of ["m1", "m2", "m3"]) missed.push((await send(bob, room, body)).message);
  bob.close();

  const back = await connect("ann");
  try {
    const reply = await request(back, "join", { room, after_seq: seen });
    assert.equal(reply.ok, true);
    assert.equal(reply.more, false);
    assert.deepEqual(reply.messages, missed);
    const none = await request(back, "join", { room, after_seq: missed[2].seq });
    assert.deepEqual(none.messages, []);
  } finally {
    back.close();
  }
});

test("pipelined join and messages right after connecting: official client, 300 times", async () => {
  const room = uniqueRoom("pipe");
  for (let i = 0; i < 300; i++) {
    const socket = open(`p${i % 10}`);
    try {
      // Emitted before the connection exists: the client sends them the moment it connects.
      const replies = await Promise.all([
        request(socket, "join", { room }),
        send(socket, room, `a${i}`),
        send(socket, room, `b${i}`),
        send(socket, room, `c${i}`),
      ]);
      assert.ok(replies.every((r) => r.ok), `try ${i}: ${JSON.stringify(replies).slice(0, 300)}`);
      const seqs = replies.slice(1).map((r) => r.message.seq);
      assert.deepEqual(replies.slice(1).map((r) => r.message.body), [`a${i}`, `b${i}`, `c${i}`]);
      assert.ok(seqs[0] < seqs[1] && seqs[1] < seqs[2], `try ${i}: seqs ${seqs}`);
    } finally {
      socket.close();
    }
  }
  const stored = await history(room, 0);
  assert.equal(stored.length, 500, "a page of 500");
});

// A raw socket.io client over a websocket: it writes the join and the messages in one
// burst the instant the server's CONNECT arrives, faster than the official client.
function rawTry(room, i) {
  const url = BASE_URL.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket";
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const acks = new Map();
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`raw try ${i} timed out`)); }, 10000);
    ws.on("error", reject);
    ws.on("message", (data) => {
      const text = data.toString();
      if (text.startsWith("0")) {
        ws.send(`40${JSON.stringify({ name: "raw" })}`);
      } else if (text === "2") {
        ws.send("3");
      } else if (text.startsWith("40")) {
        const frames = [`420${JSON.stringify(["join", { room }])}`];
        for (const [n, body] of ["x", "y", "z"].entries()) {
          frames.push(`42${n + 1}${JSON.stringify(["message", { room, body: body + i, client_id: `${room}-${i}-${n}` }])}`);
        }
        for (const frame of frames) ws.send(frame);
      } else if (text.startsWith("43")) {
        const [, id, payload] = text.match(/^43(\d+)(.*)$/);
        acks.set(Number(id), JSON.parse(payload)[0]);
        if (acks.size === 4) {
          clearTimeout(timer);
          ws.close();
          resolve([0, 1, 2, 3].map((n) => acks.get(n)));
        }
      } else if (text.startsWith("44")) {
        clearTimeout(timer);
        reject(new Error(`connect refused: ${text}`));
      }
    });
  });
}

test("pipelined join and messages from a raw websocket client, 200 times", async () => {
  const room = uniqueRoom("raw");
  for (let i = 0; i < 200; i++) {
    const replies = await rawTry(room, i);
    assert.ok(replies.every((r) => r && r.ok), `try ${i}: ${JSON.stringify(replies).slice(0, 300)}`);
    const seqs = replies.slice(1).map((r) => r.message.seq);
    assert.ok(seqs[0] < seqs[1] && seqs[1] < seqs[2], `try ${i}: seqs ${seqs}`);
  }
});

test("a flood of 400 is rate limited, every event acknowledged, order kept", async () => {
  const room = uniqueRoom("flood");
  const socket = await connect("flood");
  try {
    await request(socket, "join", { room });
    const replies = await Promise.all(
      Array.from({ length: 400 }, (_, i) => send(socket, room, `f${i}`)),
    );
    const limited = replies.filter((r) => !r.ok);
    assert.ok(limited.length > 0, "some were refused");
    assert.ok(limited.every((r) => r.error.code === "rate_limited"), JSON.stringify(limited[0]));
    const accepted = replies.filter((r) => r.ok).map((r) => r.message.seq);
    assert.deepEqual(accepted, [...accepted].sort((a, b) => a - b), "accepted in send order");
    assert.ok(socket.connected);
    const stored = await history(room);
    assert.deepEqual(stored.map((m) => m.seq), accepted, "exactly the accepted ones were stored");
  } finally {
    socket.close();
  }
});

test("an oversized websocket frame closes only that connection", async () => {
  const socket = await connect("big");
  const closed = new Promise((resolve) => socket.on("disconnect", resolve));
  socket.emit("message", { room: "general", body: "x".repeat(100 * 1024), client_id: newClientId() });
  await closed;
  const again = await connect("big");
  assert.ok(again.connected, "the server is still up");
  again.close();
});

test("a socket.io handshake from another site is refused", async () => {
  const url = BASE_URL.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket";
  const status = await new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { Origin: "http://evil.example" } });
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode));
    ws.on("open", () => { ws.close(); resolve("open"); });
    ws.on("error", () => {});
  });
  assert.equal(status, 403);
});
