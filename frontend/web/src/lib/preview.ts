/** The text of a message for one-line previews: Markdown markers stripped, whitespace collapsed. */
export function plainPreview(source: string, max = 80): string {
  const text = source
    .replace(/```[\s\S]*?```/g, "[code]")
    .replace(/[*_~`>#]/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
