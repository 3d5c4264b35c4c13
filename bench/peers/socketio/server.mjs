// The Socket.IO peer `make bench` measures Parley against: Socket.IO 4 scaled over processes by
// @socket.io/redis-adapter, as its documentation sets it up, with the same rooms and echo as the others.
//
//   node server.mjs --port 8611 --redis redis://127.0.0.1:6390
//
// ws://host:port/socket.io/?EIO=4&transport=websocket&user=<id>&room=<id>  (WebSocket transport only: clients
// connect straight to one process, as they do to Parley's and the baseline's workers)
//   emit("message.send", {conversation, body, client_id}, ack)  → ack({message})   (to the sender)
//                                                                → "message.new" {message} to every socket in
//                                                                  the room, the sender's included
//   emit("ping", ack) → ack("pong")
// No auth, no storage. Socket.IO encodes each broadcast once and writes the same bytes to every local socket;
// the adapter publishes it once to Redis for the other processes.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { Server } from "socket.io";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    redis: { type: "string", default: "redis://127.0.0.1:6390" },
  },
});

const pubClient = createClient({ url: values.redis });
const subClient = pubClient.duplicate();
await Promise.all([pubClient.connect(), subClient.connect()]);

const httpServer = createServer();
const io = new Server(httpServer, {
  transports: ["websocket"],
  serveClient: false,
  adapter: createAdapter(pubClient, subClient),
});

io.on("connection", (socket) => {
  const user = Number(socket.handshake.query.user ?? 0);
  const room = Number(socket.handshake.query.room ?? -1);
  const sender = { id: user, username: `bench${user}`, display_name: `Bench ${user}` };
  socket.join(`room.${room}`);

  socket.on("message.send", (data, ack) => {
    if (typeof ack !== "function") return;
    if (data?.conversation !== room || typeof data.body !== "string") {
      ack({ error: { code: "invalid", detail: "not a member", ref: data?.client_id ?? null } });
      return;
    }
    const message = {
      id: randomUUID(),
      conversation: room,
      sender,
      body: data.body,
      client_id: data.client_id,
      created_at: new Date().toISOString(),
    };
    ack({ message });
    io.to(`room.${room}`).emit("message.new", { message });
  });

  socket.on("ping", (ack) => {
    if (typeof ack === "function") ack("pong");
  });
});

httpServer.listen(Number(values.port), "127.0.0.1", () => {
  console.log(`socket.io peer on 127.0.0.1:${values.port}, redis ${values.redis}`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    io.close();
    Promise.allSettled([pubClient.quit(), subClient.quit()]).then(() => process.exit(0));
  });
}
