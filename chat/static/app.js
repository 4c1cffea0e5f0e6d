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
    time.textContent = message.created_at;
    const body = document.createElement("p");
    body.className = "body";
    body.textContent = message.body;
    item.append(author, time, body);
    return item;
  }

  // Inserts in seq order and ignores a seq already shown, so live broadcasts, join
  // replies and reconnect catch-ups can overlap without showing a message twice.
  function show(message) {
    if (message.room !== room || document.getElementById("m-" + message.seq)) return;
    const item = render(message);
    let next = null;
    for (const other of list.children) {
      if (Number(other.dataset.seq) > message.seq) { next = other; break; }
    }
    const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
    list.insertBefore(item, next);
    while (document.getElementById("m-" + (lastSeq + 1))) lastSeq += 1;
    if (atBottom) item.scrollIntoView({ block: "end" });
  }

  const socket = io({
    auth: { name: chat.dataset.name },
    ackTimeout: 10000,
    retries: 5,
  });

  function join() {
    socket.emit("join", { room, after_seq: lastSeq }, (reply) => {
      if (!reply || !reply.ok) {
        setStatus("error", reply && reply.error ? reply.error.message : "cannot join");
        return;
      }
      reply.messages.forEach(show);
      if (reply.more) join();
    });
  }

  socket.on("connect", () => {
    setStatus("online", "online");
    join();
  });
  socket.on("disconnect", () => setStatus("offline", "reconnecting…"));
  socket.on("connect_error", (err) => setStatus("error", err.message));
  socket.on("message", (message) => {
    show(message);
    // A gap means a broadcast was missed (or arrived out of order): catch up.
    if (message.seq > lastSeq + 1) join();
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = bodyInput.value;
    if (!body.trim()) return;
    errorLine.textContent = "";
    // One client_id per message, kept across retries, so a resend never duplicates.
    const clientId = randomId();
    bodyInput.value = "";
    socket.emit("message", { room, body, client_id: clientId }, (err, reply) => {
      if (err) {
        errorLine.textContent = "Not sent: the server did not answer. Your text is back in the box.";
        if (!bodyInput.value) bodyInput.value = body;
        return;
      }
      if (!reply.ok) {
        errorLine.textContent = reply.error.message;
        if (!bodyInput.value) bodyInput.value = body;
        return;
      }
      show(reply.message);
    });
  });

  bodyInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
})();
