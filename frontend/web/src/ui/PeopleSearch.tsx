import { useEffect, useRef, useState } from "react";
import type { PublicUser } from "../api/types";
import { displayName } from "../lib/names";
import { Avatar } from "./Avatar";
import { useApp } from "./context";
import { useDebounced } from "./useDebounced";

const NO_ONE: ReadonlySet<number> = new Set();

interface Props {
  /** The search box's label. */
  label: string;
  /** A person picked. When it gives back a promise that resolves to true (they were added), the search is done
   * with: the box is emptied, and keeps focus for the next. */
  onChoose: (user: PublicUser) => unknown;
  /** People not to offer (already picked); I am never offered. */
  exclude?: ReadonlySet<number>;
  /** Who among those a search finds is a member already: listed as such, not offered. A new function (the
   * members changed) asks again. */
  membersAmong?: (search: string) => Promise<ReadonlySet<number>>;
  autoFocus?: boolean;
}

/** What the server answered to one search: the people found and who among them is a member already. */
interface Answer {
  search: string;
  people: PublicUser[];
  members: ReadonlySet<number>;
}

/** Find people by name or username (the server's user search, as one types) and pick one. Only the answer to
 * the search now asked is shown: one to an earlier search, however late it comes, never is; and while the
 * answer is on its way the list says so (not "No one found."). */
export function PeopleSearch({ label, onChoose, exclude, membersAmong, autoFocus = false }: Props) {
  const { http, me } = useApp();
  const input = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState("");
  const [answer, setAnswer] = useState<Answer | null>(null);
  const search = useDebounced(query.trim());

  useEffect(() => {
    let cancelled = false;
    if (!search) return;
    // Both answers at once: a member must not be offered, even for a moment, while the second is on its way.
    Promise.all([http.searchUsers(search), membersAmong?.(search) ?? NO_ONE]).then(
      ([page, members]) => !cancelled && setAnswer({ search, people: page.results.filter((u) => u.id !== me.id), members }),
      () => !cancelled && setAnswer({ search, people: [], members: NO_ONE }),
    );
    return () => {
      cancelled = true;
    };
  }, [search, http, me.id, membersAmong]);

  const choose = async (user: PublicUser) => {
    const from = query;
    if ((await onChoose(user)) !== true) return;
    // Done with this search, unless another was typed while the add was on its way: that one stays.
    if (input.current && input.current.value !== from) return;
    setQuery("");
    setAnswer(null);
    input.current?.focus(); // the button pressed is gone
  };
  // An emptied box shows nothing, before the debounce too; a box whose search is not answered yet, "Searching…".
  const searched = search !== "" && query.trim() !== "";
  const found = answer?.search === search ? answer : null;
  const shown = found?.people.filter((user) => !exclude?.has(user.id)) ?? [];
  return (
    <>
      <label className="field">
        <span>{label}</span>
        <input
          ref={input}
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
        {searched &&
          shown.map((user) => (
            <li key={user.id}>
              {found?.members.has(user.id) ? (
                <span className="person">
                  <Person user={user} /> <span className="muted already-member">already a member</span>
                </span>
              ) : (
                <button type="button" className="person" onClick={() => void choose(user)}>
                  <Person user={user} />
                </button>
              )}
            </li>
          ))}
        {searched && !found && <li className="muted">Searching…</li>}
        {searched && found && shown.length === 0 && <li className="muted">No one found.</li>}
      </ul>
    </>
  );
}

function Person({ user }: { user: PublicUser }) {
  return (
    <>
      <Avatar name={displayName(user)} url={user.avatar_url} />
      <span>
        <strong>{displayName(user)}</strong> <span className="muted">@{user.username}</span>
      </span>
    </>
  );
}
