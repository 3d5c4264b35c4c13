// Search snippets arrive as HTML: the message's text escaped, with <mark> around matched words. They are
// turned into text parts here, never inserted as HTML: whatever a snippet holds, only text is shown.
import type { SearchHit } from "../api/types";

export interface SnippetPart {
  text: string;
  marked: boolean;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#x27": "'", "#39": "'" };

function unescape(html: string): string {
  return html.replace(/&(amp|lt|gt|quot|#x27|#39);/g, (_, name: string) => ENTITIES[name] ?? "");
}

export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let marked = false;
  for (const piece of snippet.split(/(<mark>|<\/mark>)/)) {
    if (piece === "<mark>") marked = true;
    else if (piece === "</mark>") marked = false;
    else if (piece) parts.push({ text: unescape(piece), marked });
  }
  return parts;
}

export interface HitGroup {
  conversation: SearchHit["conversation"];
  hits: SearchHit[];
}

/** Hits grouped by conversation, the groups in the order of their best hit. */
export function groupByConversation(hits: SearchHit[]): HitGroup[] {
  const groups = new Map<number, HitGroup>();
  for (const hit of hits) {
    const group = groups.get(hit.conversation.id) ?? { conversation: hit.conversation, hits: [] };
    group.hits.push(hit);
    groups.set(hit.conversation.id, group);
  }
  return [...groups.values()];
}

export const SEARCH_FILTERS: { label: string; insert: string; description: string }[] = [
  { label: "from:", insert: "from:@", description: "Messages from someone: from:@username" },
  { label: "in:", insert: "in:#", description: "Messages in a channel or group: in:#name" },
  { label: "has:file", insert: "has:file", description: "Messages with a file attached" },
  { label: "before:", insert: "before:", description: "Sent before a day: before:2026-01-31" },
  { label: "after:", insert: "after:", description: "Sent after a day: after:2026-01-01" },
];

/** The query with a filter added at its end (one space between). */
export const withFilter = (query: string, insert: string): string => `${query.trimEnd()} ${insert}`.trimStart();
