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
//
// With --durable amqp://…/vhost (`make bench`'s "socketio-durable"), each message is first published,
// persistent, to a durable quorum queue and acked and broadcast only once RabbitMQ confirms it, as Parley's
// sends are: Socket.IO's relay plus the confirm and nothing else, the floor of any server that keeps
// Parley's promise. A consumer in each process takes the messages off the queue again (nothing stores them).
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

import { createAdapter } from "@socket.io/redis-adapter";
import amqplib from "amqplib";
import { createClient } from "redis";
import { Server } from "socket.io";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    redis: { type: "string", default: "redis://127.0.0.1:6390" },
    durable: { type: "string" },
  },
});

const DURABLE_QUEUE = "socketio.durable";

/** A confirm channel to the durable queue, and a consumer that empties it; null without --durable. */
async function durableQueue(url) {
  if (!url) return null;
  const connection = await amqplib.connect(url, { noDelay: true }); // no Nagle: one small frame at a time
  const publisher = await connection.createConfirmChannel();
  await publisher.assertQueue(DURABLE_QUEUE, { durable: true, arguments: { "x-queue-type": "quorum" } });
  const consumer = await connection.createChannel();
  await consumer.prefetch(500);
  await consumer.consume(DURABLE_QUEUE, (delivered) => delivered && consumer.ack(delivered));
  return publisher;
}

const durable = await durableQueue(values.durable);

/** Run `then` once the message is durable: at once without --durable, after RabbitMQ's confirm with it. */
function whenDurable(message, then, failed) {
  if (durable === null) return then();
  const body = Buffer.from(JSON.stringify(message));
  durable.sendToQueue(DURABLE_QUEUE, body, { persistent: true }, (error) => (error ? failed() : then()));
}

const pubClient = createClient({ url: values.redis });
const subClient = pubClient.duplicate();
await Promise.all([pubClient.connect(), subClient.connect()]);

const httpServer = createServer();
const io = new Server(httpServer, {
  transports: ["websocket"],
  serveClient: false,
  // Its own channels for the durable peer: both peers run on the bench's Redis at once.
  adapter: createAdapter(pubClient, subClient, { key: values.durable ? "socket.io-durable" : "socket.io" }),
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
    whenDurable(
      message,
      () => {
        ack({ message });
        io.to(`room.${room}`).emit("message.new", { message });
      },
      () => ack({ error: { code: "unavailable", detail: "not stored", ref: data.client_id ?? null } }),
    );
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
