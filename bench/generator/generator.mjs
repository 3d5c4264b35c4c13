// The load generator's engine: WebSocket clients (ws, no compression offered) and open-loop sends, driven by
// bench/loadgen.py over stdin/stdout, one JSON object per line. bench/loadgen.py starts one or more of these
// processes and gives each whole rooms, so every message's deliveries are matched in the process that sent it.
//
//   → {"id": 1, "cmd": "connect", "protocol": "json" | "socketio", "targets": [{url, room, position, headers}]}
//   ← {"id": 1, "clients": [0, 1, ...], "retries": 0}           once every socket answered a ping
//   → {"id": 2, "cmd": "run", "senders": [...], "rate", "seconds", "warmup", "drain", "room_size", "start",
//      "order": "list" | "random", "stream_acks": false, "body_size": 100}
//   ← {"ev": "acks", "items": [[message id, ack time], ...]}     while it runs, when stream_acks
//   ← {"id": 2, "result": {counters, "arrays": {lat, lat_sent, ack, lag, all: base64 float32 ms}, "cpu_s",
//      "wall_s"}}
//   → {"id": 3, "cmd": "close", "clients": [...]}  ← {"id": 3}
//
// Times are CLOCK_MONOTONIC nanoseconds (Python's time.monotonic_ns() on the same machine). Every body is
//   b<run>:<index>:<intended send time>:xxxx…   (100 characters)
// and latency runs from the *intended* send time: a generator that falls behind its schedule is charged for it
// (and reports its lag). Frames are not JSON-decoded: the kind is read from the frame's head and the body
// marker found with a regular expression.
//
// Protocol adapters: "json" is docs/protocol.md (Parley) and bench/baseline's subset of it; "socketio" is
// Engine.IO 4 / Socket.IO 5 packets over the WebSocket transport (bench/peers/socketio).
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";

import WebSocket from "ws";

const MAX_CLIENTS = 5000;
const MAX_RATE = 20_000; // sends/s, per process
const MAX_SECONDS = 60; // per run, warm-up included
const BODY_SIZE = 100;
const MAX_BODY_SIZE = 10_000; // Parley's limit

const BODY_RE = /"body": ?"b(\d+):(\d+):/;
const ERROR_RE = /"code": ?"([a-z_]+)".*?"ref": ?(?:"[0-9a-f]{8}-0000-4000-8000-([0-9a-f]{12})"|null)/;
const ID_RE = /"id": ?"([0-9a-f-]{36})"/;
const NEW = 1;
const ACK = 2;
const PONG = 3;
const ERROR = 4;
const OTHER = 5;

const MONO0 = Number(process.hrtime.bigint());
const PERF0 = performance.now();
const nowNs = () => MONO0 + (performance.now() - PERF0) * 1e6;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const json = {
  hello(client) {
    // What every Parley client does first (docs/protocol.md): until then a socket holds its conversations'
    // messages back. The baseline answers it with an error frame, ignored outside a run.
    client.ws.send('{"type":"sync","since":{}}');
    client.ws.send('{"type":"ping"}');
  },
  encodeSend(index, room, body, clientId) {
    return `{"type":"message.send","conversation":${room},"body":"${body}","client_id":"${clientId}"}`;
  },
  classify(client, s) {
    const head = s.slice(0, 32);
    if (head.includes("message.new")) return NEW;
    if (head.includes("message.ack")) return ACK;
    if (head.includes("pong")) return PONG;
    if (head.includes('"error"')) return ERROR;
    return OTHER; // presence, typing, sync's answer...: not ours
  },
};

const socketio = {
  hello(client) {
    if (client.sioConnected) client.ws.send('420["ping"]');
    else client.sioHello = true; // sent once the namespace's CONNECT is answered
  },
  encodeSend(index, room, body, clientId) {
    return `42${index}["message.send",{"conversation":${room},"body":"${body}","client_id":"${clientId}"}]`;
  },
  classify(client, s) {
    if (s.startsWith('42["message.new"')) return NEW;
    if (s.startsWith("43")) {
      const open = s.indexOf("[");
      if (s.startsWith('["pong"]', open)) return PONG;
      if (s.startsWith('[{"error"', open)) return ERROR;
      return ACK;
    }
    if (s === "2") client.ws.send("3"); // Engine.IO's heartbeat
    else if (s.startsWith("0{")) client.ws.send("40"); // Engine.IO open → Socket.IO CONNECT to "/"
    else if (s.startsWith("40")) {
      client.sioConnected = true;
      if (client.sioHello) client.ws.send('420["ping"]');
    }
    return OTHER;
  },
};

const ADAPTERS = { json, socketio };

class Generator {
  constructor() {
    this.clients = new Map();
    this.nextClient = 0;
    this.run = null;
    this.frames = 0;
    this.stale = 0;
    this.disconnects = 0;
    this.otherFrames = 0;
  }

  async connect({ protocol, targets, concurrency = 20 }) {
    if (this.clients.size + targets.length > MAX_CLIENTS) throw new Error(`at most ${MAX_CLIENTS} sockets`);
    const adapter = ADAPTERS[protocol];
    if (!adapter) throw new Error(`unknown protocol ${protocol}`);
    let retries = 0;
    const one = async (target) => {
      if (!target.url.startsWith("ws://127.0.0.1:")) throw new Error("the generator only targets 127.0.0.1");
      for (let attempt = 0; attempt < 3; attempt++) {
        const client = await this.open(adapter, target).catch(() => null);
        if (client) return client;
        // Refused or closed at once: Daphne drops a handshake its app has not accepted within 5 s
        // (websocket_connect_timeout), which a busy server's connect path can exceed.
        retries++;
        await sleep(500);
      }
      throw new Error(`could not connect ${target.url.split("?")[0]} after 3 attempts`);
    };
    const clients = await mapLimit(targets, concurrency, one);
    for (const client of clients) this.clients.set(client.id, client);
    await this.ready(clients);
    return { clients: clients.map((c) => c.id), retries };
  }

  open(adapter, target) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(target.url, {
        headers: target.headers ?? {},
        perMessageDeflate: false, // as picows did: no compression offered, none negotiated
        skipUTF8Validation: true,
        handshakeTimeout: 30_000,
      });
      const client = {
        id: this.nextClient++,
        ws,
        adapter,
        room: target.room,
        bit: 1 << target.position,
        pongs: 0,
        closed: false,
        sioConnected: false,
        sioHello: false,
      };
      ws.on("open", () => resolve(client));
      ws.on("error", (err) => {
        if (ws.readyState !== WebSocket.OPEN) reject(err);
      });
      ws.on("message", (data) => this.onText(client, data.toString("latin1")));
      ws.on("close", () => {
        if (!client.closed) this.disconnects++;
        client.closed = true;
      });
    });
  }

  /** Wait until every socket answers a ping: the server has finished its connect (rooms joined). */
  async ready(clients, limit = 60_000) {
    const before = clients.map((c) => c.pongs);
    for (const client of clients) client.adapter.hello(client);
    const deadline = performance.now() + limit;
    for (;;) {
      const missing = clients.filter((c, i) => c.pongs === before[i]).length;
      if (!missing) return;
      if (clients.some((c) => c.closed)) throw new Error("sockets were closed by the server at once");
      if (performance.now() > deadline) throw new Error(`${missing} sockets did not answer ping`);
      await sleep(50);
    }
  }

  async close({ clients }) {
    for (const id of clients) {
      const client = this.clients.get(id);
      if (!client) continue;
      client.closed = true;
      client.ws.terminate();
      this.clients.delete(id);
    }
    await sleep(200);
    return {};
  }

  onText(client, s) {
    this.frames++;
    const kind = client.adapter.classify(client, s);
    if (kind === PONG) {
      client.pongs++;
      return;
    }
    const run = this.run;
    if (kind === OTHER) {
      this.otherFrames++;
      return;
    }
    if (run === null) return;
    if (kind === ERROR) {
      run.onError(s);
      return;
    }
    const match = BODY_RE.exec(s);
    if (match === null || Number(match[1]) !== run.runId) {
      this.stale++;
      return;
    }
    if (kind === NEW) run.onNew(client, Number(match[2]), s);
    else run.onAck(Number(match[2]), s);
  }

  async runLoad(params) {
    const { rate, seconds, warmup, drain } = params;
    if (!(rate > 0 && rate <= MAX_RATE) || !(warmup + seconds > 0 && warmup + seconds <= MAX_SECONDS)) {
      throw new Error("rate or duration out of bounds");
    }
    if ((params.body_size ?? BODY_SIZE) > MAX_BODY_SIZE) throw new Error("body too large");
    const senders = params.senders.map((id) => this.clients.get(id));
    if (senders.some((c) => c === undefined)) throw new Error("unknown sender");
    // A socket the server closed stays in the schedule: its messages are never acked, so the run fails
    // (and says how many senders it had lost) instead of quietly measuring fewer sockets.
    const closedSenders = senders.filter((c) => c.closed).length;
    const run = new Run(params, senders.length ? senders[0].adapter : json);
    this.run = run;
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const acks = params.stream_acks ? setInterval(() => run.flushAcks(), 50) : null;
    await run.send(senders);
    const sendEnd = performance.now();
    await Promise.race([run.complete, sleep(drain * 1000)]);
    const cpu = process.cpuUsage(cpu0);
    const wall = (performance.now() - wall0) / 1000;
    const drainUsed = (performance.now() - sendEnd) / 1000;
    const onTime = run.received;
    await this.quiesce(); // a late delivery still counts (and its latency too); only what never came is lost
    if (acks) clearInterval(acks);
    run.flushAcks();
    this.run = null;
    const result = run.result({ onTime, drainUsed, cpuS: (cpu.user + cpu.system) / 1e6, wallS: wall });
    return { ...result, closed_senders: closedSenders, closed_at_end: senders.filter((c) => c.closed).length };
  }

  /** Wait until no frame has arrived for `quiet` ms (at most `limit`): an overloaded server's backlog drains
   * before the next run starts. */
  async quiesce(quiet = 500, limit = 15_000) {
    const deadline = performance.now() + limit;
    let last = -1;
    while (this.frames !== last && performance.now() < deadline) {
      last = this.frames;
      await sleep(quiet);
    }
  }
}

class Run {
  constructor(params, adapter) {
    this.adapter = adapter;
    this.runId = params.run_id;
    this.roomSize = params.room_size;
    this.rate = params.rate;
    this.total = Math.floor(params.rate * (params.warmup + params.seconds));
    this.interval = 1e9 / params.rate;
    this.start = params.start;
    this.measureFrom = params.start + params.warmup * 1e9;
    this.random = params.order === "random";
    this.bodySize = params.body_size ?? BODY_SIZE;
    this.tSend = new Float64Array(this.total);
    this.room = new Int32Array(this.total);
    this.mask = new Int32Array(this.total);
    this.count = new Uint8Array(this.total);
    this.last = new Float64Array(this.total);
    this.tAck = new Float64Array(this.total);
    this.refusedBy = new Uint8Array(this.total);
    this.lat = [];
    this.latSent = []; // each measured delivery's intended send time, from the measured window's start
    this.ackLat = [];
    this.sendLag = [];
    this.sent = 0;
    this.received = 0;
    this.acked = 0;
    this.duplicates = 0;
    this.duplicateAcks = 0;
    this.misrouted = 0;
    this.errors = 0;
    this.errorCodes = {};
    this.refused = 0;
    this.expected = 0; // deliveries, once every message has been sent
    this.sendingDone = false;
    this.pendingAcks = params.stream_acks ? [] : null;
    this.complete = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  send(senders) {
    const prefix = `b${this.runId}:`;
    const idHead = `${this.runId.toString(16).padStart(8, "0").slice(-8)}-0000-4000-8000-`;
    return new Promise((resolve) => {
      const tick = () => {
        const now = nowNs();
        const due = now >= this.start ? Math.min(this.total, Math.floor((now - this.start) / this.interval) + 1) : 0;
        while (this.sent < due) {
          const index = this.sent;
          const client = this.random
            ? senders[Math.floor(Math.random() * senders.length)]
            : senders[index % senders.length];
          const intended = this.start + index * this.interval;
          this.tSend[index] = intended;
          this.room[index] = client.room;
          const marker = `${prefix}${index}:${Math.round(intended)}:`;
          const body = marker + "x".repeat(Math.max(0, this.bodySize - marker.length));
          const clientId = idHead + index.toString(16).padStart(12, "0");
          if (!client.closed) client.ws.send(this.adapter.encodeSend(index, client.room, body, clientId));
          if (intended >= this.measureFrom) this.sendLag.push(nowNs() - intended);
          this.sent++;
        }
        if (this.sent < this.total) {
          setTimeout(tick, Math.max(0, (this.start + this.sent * this.interval - nowNs()) / 1e6));
          return;
        }
        this.expected += this.total * this.roomSize; // less any refused while sending
        this.sendingDone = true;
        this.checkComplete();
        resolve();
      };
      tick();
    });
  }

  checkComplete() {
    if (this.sendingDone && this.received === this.expected && this.acked + this.refused === this.total) {
      this.resolve();
    }
  }

  onNew(client, index, s) {
    if (index >= this.sent) return; // cannot be ours: a forged or corrupted marker
    if (this.room[index] !== client.room) {
      this.misrouted++;
      return;
    }
    if (this.mask[index] & client.bit) {
      this.duplicates++;
      return;
    }
    const now = nowNs();
    this.mask[index] |= client.bit;
    this.count[index]++;
    this.received++;
    this.last[index] = now;
    const sent = this.tSend[index];
    if (sent >= this.measureFrom) {
      this.lat.push(now - sent);
      this.latSent.push(sent - this.measureFrom);
    }
    this.checkComplete();
  }

  onAck(index, s) {
    if (index >= this.sent) return;
    if (this.tAck[index]) {
      this.duplicateAcks++;
      return;
    }
    const now = nowNs();
    this.tAck[index] = now;
    this.acked++;
    const sent = this.tSend[index];
    if (sent >= this.measureFrom) this.ackLat.push(now - sent);
    if (this.pendingAcks !== null) {
      const id = ID_RE.exec(s);
      if (id !== null) this.pendingAcks.push([id[1], Math.round(now)]);
    }
    this.checkComplete();
  }

  /** An error answers one of our sends (its `ref` is the client_id, which ends in the index): that message
   * was refused, not sent, so its deliveries are not expected. */
  onError(s) {
    const match = ERROR_RE.exec(s);
    const code = match ? match[1] : "?";
    this.errorCodes[code] = (this.errorCodes[code] ?? 0) + 1;
    this.errors++;
    if (match && match[2]) {
      const index = Number.parseInt(match[2], 16);
      if (index < this.sent && !this.refusedBy[index]) {
        this.refusedBy[index] = 1;
        this.refused++;
        this.expected -= this.roomSize;
        this.checkComplete();
      }
    }
  }

  flushAcks() {
    if (this.pendingAcks === null || this.pendingAcks.length === 0) return;
    reply({ ev: "acks", items: this.pendingAcks });
    this.pendingAcks = [];
  }

  result({ onTime, drainUsed, cpuS, wallS }) {
    const complete = [];
    let measured = 0;
    for (let i = 0; i < this.total; i++) {
      if (this.tSend[i] < this.measureFrom) continue;
      measured++;
      if (this.count[i] === this.roomSize) complete.push(this.last[i] - this.tSend[i]);
    }
    return {
      sent: this.total,
      acked: this.acked,
      deliveries_expected: this.expected,
      deliveries_received: this.received,
      late: this.received - onTime,
      duplicates: this.duplicates + this.duplicateAcks,
      misrouted: this.misrouted,
      errors: this.errors,
      error_codes: this.errorCodes,
      refused: this.refused,
      measured_messages: measured,
      drain_s: drainUsed,
      cpu_s: cpuS,
      wall_s: wallS,
      arrays: {
        lat: ms(this.lat),
        lat_sent: ms(this.latSent),
        ack: ms(this.ackLat),
        lag: ms(this.sendLag),
        all: ms(complete),
      },
    };
  }
}

/** Nanosecond durations as base64 float32 milliseconds (exact to well under a microsecond below 10 s). */
function ms(values) {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] / 1e6;
  return Buffer.from(out.buffer).toString("base64");
}

async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function reply(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

const generator = new Generator();
const COMMANDS = {
  connect: (msg) => generator.connect(msg),
  run: (msg) => generator.runLoad(msg).then((result) => ({ result })),
  close: (msg) => generator.close(msg),
  stats: async () => ({
    frames: generator.frames,
    stale: generator.stale,
    disconnects: generator.disconnects,
    other_frames: generator.otherFrames,
    sockets: generator.clients.size,
  }),
};

createInterface({ input: process.stdin }).on("line", (line) => {
  const msg = JSON.parse(line);
  const command = COMMANDS[msg.cmd];
  const done = command ? command(msg) : Promise.reject(new Error(`unknown command ${msg.cmd}`));
  done.then(
    (out) => reply({ id: msg.id, ...out }),
    (err) => reply({ id: msg.id, error: String(err?.message ?? err) }),
  );
});
process.stdin.on("end", () => process.exit(0));
