/** The text of a message for one-line previews: Markdown markers stripped, whitespace collapsed. */
export function plainPreview(source: string, max = 80): string {
  const text = source
    .replace(/```[\s\S]*?```/g, "[code]")
    .replace(/[*_~`>#]/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
  if (text.length <= max) return text;
  // Cut between characters as people see them: a UTF-16 slice could split an emoji and show "�".
  const characters = Array.from(new Intl.Segmenter().segment(text), (part) => part.segment);
  return characters.length > max ? `${characters.slice(0, max - 1).join("")}…` : text;
}
