// livechat's browser client. The page works without it (plain forms); this makes it
// live over socket.io. Every user-supplied string is rendered with textContent.
(function () {
  "use strict";
  const chat = document.getElementById("chat");
  const form = document.getElementById("send");
  if (!chat || !form || typeof io !== "function") return;

  const room = chat.dataset.room;
  const list = document.getElementById("messages");
  const status = document.getElementById("status");
  const bodyInput = document.getElementById("body");
  const errorLine = document.getElementById("send-error");
  const pending = document.getElementById("pending");
  // The highest seq shown with every lower one shown too: where a catch-up resumes.
  let lastSeq = Number(chat.dataset.lastSeq || 0);

  function randomId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function localTime(iso) {
    const date = new Date(iso);
    return isNaN(date) ? iso : date.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
  }
  for (const time of list.querySelectorAll("time")) time.textContent = localTime(time.dateTime);
  // Open at the newest message, as chat apps do.
  if (list.lastElementChild) list.lastElementChild.scrollIntoView({ block: "end" });

  function render(message) {
    const item = document.createElement("li");
    item.className = "message";
    item.id = "m-" + message.seq;
    item.dataset.seq = String(message.seq);
    item.dataset.id = message.id;
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = message.author;
    const time = document.createElement("time");
    time.dateTime = message.created_at;
    time.textContent = localTime(message.created_at);
    const body = document.createElement("p");
    body.className = "body";
    body.textContent = message.body;
    item.append(author, time, body);
    return item;
  }

  // Inserts in seq order and ignores a seq already shown, so live broadcasts, join
  // replies and reconnect catch-ups can overlap without showing a message twice.
  function show(message, mine = false) {
    if (message.room !== room) return;
    const existing = document.getElementById("m-" + message.seq);
    if (existing) {
      if (mine) existing.scrollIntoView({ block: "end" });
      return;
    }
    const item = render(message);
    let next = null;
    for (const other of list.children) {
      if (Number(other.dataset.seq) > message.seq) { next = other; break; }
    }
    const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
    list.insertBefore(item, next);
    while (document.getElementById("m-" + (lastSeq + 1))) lastSeq += 1;
    if (atBottom || mine) item.scrollIntoView({ block: "end" });
  }

  const socket = io({ auth: { name: chat.dataset.name } });
  // Messages not yet acknowledged, in send order. They are (re)sent only after a join
  // succeeded on the current connection, and again after a timeout or an `unavailable`
  // answer, always with the same client_id, so nothing is lost or doubled.
  const outbox = new Map();
  const RETRY_MS = 2000;
  let joined = false;

  function updatePending() {
    pending.textContent = outbox.size === 0 ? "" :
      `Sending ${outbox.size} message${outbox.size === 1 ? "" : "s"}…`;
  }

  function retryLater(clientId) {
    setTimeout(() => { if (joined && outbox.has(clientId)) deliver(clientId); }, RETRY_MS);
  }

  function deliver(clientId) {
    const body = outbox.get(clientId);
    socket.timeout(10000).emit("message", { room, body, client_id: clientId }, (err, reply) => {
      if (!outbox.has(clientId)) return;
      if (err || (!reply.ok && ["unavailable", "rate_limited"].includes(reply.error.code))) {
        return retryLater(clientId); // The server may retry-safely see it twice: same client_id.
      }
      outbox.delete(clientId);
      updatePending();
      if (!reply.ok) {
        errorLine.textContent = reply.error.message;
        if (!bodyInput.value) bodyInput.value = body;
        return;
      }
      show(reply.message, true);
    });
  }

  function join() {
    socket.timeout(10000).emit("join", { room, after_seq: lastSeq }, (err, reply) => {
      if (err) return socket.disconnect().connect();
      if (!reply.ok) {
        setStatus("error", reply.error.message);
        // `unavailable` passes (the database is back soon); try again while connected.
        if (reply.error.code === "unavailable") setTimeout(() => socket.connected && join(), RETRY_MS);
        return;
      }
      reply.messages.forEach((message) => show(message));
      if (reply.more) return join();
      joined = true;
      setStatus("online", "online");
      for (const clientId of outbox.keys()) deliver(clientId);
    });
  }

  socket.on("connect", join);
  socket.on("disconnect", () => {
    joined = false;
    setStatus("offline", "reconnecting…");
  });
  socket.on("connect_error", (err) => setStatus("error", err.message));
  socket.on("message", (message) => {
    show(message);
    // A gap means a broadcast was missed (or arrived out of order): catch up.
    if (joined && message.seq > lastSeq + 1) join();
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = bodyInput.value;
    if (!body.trim()) return;
    errorLine.textContent = "";
    bodyInput.value = "";
    const clientId = randomId();
    outbox.set(clientId, body);
    updatePending();
    if (joined) deliver(clientId);
  });

  bodyInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
})();
