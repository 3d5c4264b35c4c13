import type { LinkPreview } from "../api/types";

/** What a preview card under a message shows (docs/web.md, "Link previews"). */
export interface PreviewCard {
  href: string;
  host: string;
  title: string;
  description: string;
  /** Parley's own copy of the page's image (fetched with the token), or none. */
  imagePath: string | null;
  imageRatio: number;
}

// The only images a card shows: the copies Parley made. A remote image URL is never loaded (hot-linking
// would tell that site who reads the conversation, and when).
const OWN_IMAGE = /^\/api\/v1\/previews\/[0-9a-f-]{36}\/image\/$/;

/** The cards to show for a message's previews: only http(s) links, only Parley's image paths. Messages kept
 * from before previews existed have none. */
export function previewCards(previews: LinkPreview[] | undefined): PreviewCard[] {
  const cards: PreviewCard[] = [];
  for (const preview of previews ?? []) {
    let url: URL;
    try {
      url = new URL(preview.url);
    } catch {
      continue;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") continue;
    const host = url.hostname.replace(/^www\./, "");
    const image = preview.image && OWN_IMAGE.test(preview.image.url) ? preview.image : null;
    cards.push({
      href: url.href,
      host: preview.site_name || host,
      title: preview.title || host,
      description: preview.description,
      imagePath: image?.url ?? null,
      imageRatio: image && image.height > 0 ? image.width / image.height : 1,
    });
  }
  return cards;
}
