import type { LinkPreview } from "../api/types";
import { previewCards, type PreviewCard } from "../lib/linkPreviews";
import { useBlobUrl } from "./useBlobUrl";

/** The cards of a message's link previews: each a link to the page, with its title, description and image. */
export function LinkPreviews({ items }: { items: LinkPreview[] | undefined }) {
  const cards = previewCards(items);
  if (!cards.length) return null;
  return (
    <div className="link-previews">
      {cards.map((card) => (
        <Card key={card.href} card={card} />
      ))}
    </div>
  );
}

function Card({ card }: { card: PreviewCard }) {
  return (
    <a className="link-preview" href={card.href} target="_blank" rel="noopener noreferrer nofollow" data-testid="link-preview">
      {card.imagePath && <CardImage path={card.imagePath} ratio={card.imageRatio} />}
      <span className="link-preview-text">
        <span className="link-preview-host muted">{card.host}</span>
        <strong className="link-preview-title">{card.title}</strong>
        {card.description && <span className="link-preview-description">{card.description}</span>}
      </span>
    </a>
  );
}

function CardImage({ path, ratio }: { path: string; ratio: number }) {
  const url = useBlobUrl(path);
  // Decorative: the title next to it says what the link is.
  return url ? (
    <img className="link-preview-image" src={url} alt="" style={{ aspectRatio: String(ratio) }} />
  ) : (
    <span className="link-preview-image" style={{ aspectRatio: String(ratio) }} />
  );
}
