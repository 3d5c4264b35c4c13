// The JavaScript the first screen (login or the conversation list) downloads, gzipped as the server sends
// it: the built index.html's module script and its static modulepreloads, each gzipped at level 9 (what
// WhiteNoise serves). Later screens' chunks (the conversation, the emoji picker) are not counted. Fails
// above the budget. `make web` runs it after every build; `npm run size` by hand.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const BUDGET = 120_000; // bytes, gzipped
const BASE = "/static/frontend/";
const build = fileURLToPath(new URL("../../static/frontend/", import.meta.url));

const html = readFileSync(`${build}index.html`, "utf8");
const urls = [
  ...html.matchAll(/<script type="module"[^>]*\ssrc="([^"]+)"/g),
  ...html.matchAll(/<link rel="modulepreload"[^>]*\shref="([^"]+)"/g),
].map((match) => match[1]);

let total = 0;
for (const url of urls) {
  const bytes = readFileSync(build + url.slice(BASE.length));
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  total += gzipped;
  console.log(`${url}  ${(bytes.length / 1000).toFixed(1)} kB, ${(gzipped / 1000).toFixed(1)} kB gzipped`);
}
console.log(`first screen: ${(total / 1000).toFixed(1)} kB of JavaScript gzipped (budget ${BUDGET / 1000} kB)`);
if (total > BUDGET) {
  console.error("over budget: load the new code on demand (import()) rather than on the first screen");
  process.exit(1);
}
