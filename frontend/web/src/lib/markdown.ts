// Markdown to safe HTML. markdown-it with html:false escapes every tag in the source, and its link
// validation refuses javascript:, vbscript:, file: and data: URLs; images are off (no tracking
// pixels), links open in a new tab without an opener, and @mentions become spans: `mention`, and also
// `mention-me` where they call on the reader (their @username, or @here/@all where the server counted those).
import MarkdownIt from "markdown-it";
import type { StateInline } from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
md.disable(["image", "heading", "lheading", "hr", "table"]);

md.inline.ruler.after("emphasis", "mention", (state: StateInline, silent: boolean) => {
  const start = state.pos;
  if (state.src.charCodeAt(start) !== 0x40 /* @ */) return false;
  const previous = start > 0 ? state.src[start - 1] ?? "" : "";
  if (previous && /[\w@.]/.test(previous)) return false; // an e-mail address, not a mention
  const match = /^@([\w.+-]{1,150})/.exec(state.src.slice(start));
  if (!match?.[1]) return false;
  const env = (state.env ?? {}) as MentionEnv;
  // "@ada." ends a sentence: the mention is "@ada", as the server counts it (messaging.mentions), unless a
  // username really ends so (the reader's own, the one name known here).
  const whole = match[1];
  const username = whole.toLowerCase() === env.me?.toLowerCase() ? whole : whole.replace(/[.+-]+$/, "") || whole;
  if (!silent) {
    const open = state.push("mention_open", "span", 1);
    const name = username.toLowerCase();
    const me = name === env.me?.toLowerCase() || (env.broadcast === true && (name === "here" || name === "all"));
    open.attrSet("class", me ? "mention mention-me" : "mention");
    open.attrSet("data-username", username);
    const text = state.push("text", "", 0);
    text.content = `@${username}`;
    state.push("mention_close", "span", -1);
  }
  state.pos += username.length + 1;
  return true;
});

const defaultLinkOpen =
  md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  if (token) {
    token.attrSet("target", "_blank");
    token.attrSet("rel", "noopener noreferrer nofollow");
  }
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** Who reads: their username, and whether the message's @here/@all counted (its `mentions_here`/`mentions_all`). */
export interface MentionEnv {
  me?: string;
  broadcast?: boolean;
}

export function renderMarkdown(source: string, reader: MentionEnv = {}): string {
  return md.render(source, { ...reader });
}
