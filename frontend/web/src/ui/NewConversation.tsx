import { Icon } from "./Icon";
import { useState, type FormEvent } from "react";
import type { PublicUser } from "../api/types";
import { displayName } from "../lib/names";
import { navigate } from "../lib/router";
import { BackLink } from "./BackLink";
import { useApp } from "./context";
import { PeopleSearch } from "./PeopleSearch";

/** Start a direct message (pick one person) or a group (pick several, give it a title). */
export function NewConversation({ kind }: { kind: "direct" | "group" }) {
  const { http, store } = useApp();
  const [picked, setPicked] = useState<PublicUser[]>([]);
  const [title, setTitle] = useState("");
  const [error, setError] = useState<string | null>(null);

  async function create(members: PublicUser[]) {
    setError(null);
    try {
      const conversation = await http.createConversation({
        kind,
        members: members.map((m) => m.id),
        ...(kind === "group" ? { title: title.trim() } : {}),
      });
      store.upsertConversation(conversation);
      navigate(`/c/${conversation.id}`);
    } catch (e) {
      setError(e instanceof Error ? e.message : "Could not create the conversation");
    }
  }

  function choose(user: PublicUser) {
    if (kind === "direct") void create([user]);
    else if (!picked.some((p) => p.id === user.id)) setPicked([...picked, user]);
  }

  const submitGroup = (event: FormEvent) => {
    event.preventDefault();
    if (picked.length) void create(picked);
  };

  const heading = kind === "direct" ? "New message" : "New group";
  return (
    <section className="panel" aria-labelledby="new-heading">
      <header className="panel-header">
        <BackLink />
        <h1 id="new-heading">{heading}</h1>
      </header>
      <form className="panel-body stack" onSubmit={submitGroup}>
        {kind === "group" && (
          <label className="field">
            <span>Group name</span>
            <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={100} placeholder="e.g. Launch team" />
          </label>
        )}
        {kind === "group" && picked.length > 0 && (
          <ul className="chips" aria-label="Members">
            {picked.map((p) => (
              <li key={p.id} className="chip">
                {displayName(p)}
                <button
                  type="button"
                  className="icon"
                  aria-label={`Remove ${displayName(p)}`}
                  onClick={() => setPicked(picked.filter((x) => x.id !== p.id))}
                >
                  <Icon name="close" size={14} />
                </button>
              </li>
            ))}
          </ul>
        )}
        <PeopleSearch label="Search people" onChoose={choose} exclude={new Set(picked.map((p) => p.id))} autoFocus />
        {error && <p className="form-error" role="alert">{error}</p>}
        {kind === "group" && (
          <button className="primary" type="submit" disabled={picked.length === 0}>
            Create group
          </button>
        )}
      </form>
    </section>
  );
}
