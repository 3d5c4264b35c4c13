import { useEffect, useState } from "react";
import { useApp } from "./context";

// Thumbnails and downloads need the Bearer token, which <img src> can't send: fetch them and show
// blob URLs, cached for the session so scrolling doesn't fetch twice.
const blobUrls = new Map<string, Promise<string>>();

/** A blob URL for the first of `paths` that loads (a thumbnail may not be made yet: then the original). */
export function useBlobUrl(...paths: string[]): string | null {
  const { client } = useApp();
  const [url, setUrl] = useState<string | null>(null);
  const key = paths.join(" ");
  useEffect(() => {
    let cancelled = false;
    let pending = blobUrls.get(key);
    if (!pending) {
      const [first, ...rest] = key.split(" ");
      pending = rest.reduce(
        (chain, path) => chain.catch(() => client.blob(path)),
        client.blob(first ?? ""),
      ).then((blob) => URL.createObjectURL(blob));
      pending.catch(() => blobUrls.delete(key));
      blobUrls.set(key, pending);
    }
    pending.then(
      (value) => !cancelled && setUrl(value),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [key, client]);
  return url;
}
