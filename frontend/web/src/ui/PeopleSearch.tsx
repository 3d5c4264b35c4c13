import { useEffect, useState } from "react";
import type { PublicUser } from "../api/types";
import { displayName } from "../lib/names";
import { Avatar } from "./Avatar";
import { useApp } from "./context";
import { useDebounced } from "./useDebounced";

interface Props {
  /** The search box's label. */
  label: string;
  onChoose: (user: PublicUser) => void;
  /** People not to offer (already members); I am never offered. */
  exclude?: ReadonlySet<number>;
  autoFocus?: boolean;
}

/** Find people by name or username (the server's user search, as one types) and pick one. */
export function PeopleSearch({ label, onChoose, exclude, autoFocus = false }: Props) {
  const { http, me } = useApp();
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<PublicUser[]>([]);
  const search = useDebounced(query.trim());

  useEffect(() => {
    let cancelled = false;
    if (!search) return;
    http.searchUsers(search).then(
      (page) => !cancelled && setResults(page.results.filter((u) => u.id !== me.id)),
      () => !cancelled && setResults([]),
    );
    return () => {
      cancelled = true;
    };
  }, [search, http, me.id]);

  const offered = results.filter((user) => !exclude?.has(user.id));
  return (
    <>
      <label className="field">
        <span>{label}</span>
        <input
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="Name or username"
          autoFocus={autoFocus}
          // Enter must not submit a form around the box (New group's: it created the group with whoever was
          // picked so far); a person is picked from the list.
          onKeyDown={(e) => e.key === "Enter" && e.preventDefault()}
        />
      </label>
      <ul className="people" aria-label="People">
        {search &&
          offered.map((user) => (
            <li key={user.id}>
              <button type="button" className="person" onClick={() => onChoose(user)}>
                <Avatar name={displayName(user)} />
                <span>
                  <strong>{displayName(user)}</strong> <span className="muted">@{user.username}</span>
                </span>
              </button>
            </li>
          ))}
        {search && offered.length === 0 && <li className="muted">No one found.</li>}
      </ul>
    </>
  );
}
