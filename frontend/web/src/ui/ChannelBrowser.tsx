import { useEffect, useState, type FormEvent } from "react";
import type { ChannelSummary } from "../api/types";
import { navigate } from "../lib/router";
import { BackLink } from "./BackLink";
import { useApp } from "./context";
import { useDebounced } from "./useDebounced";

export function ChannelBrowser() {
  const { http, store } = useApp();
  const [query, setQuery] = useState("");
  const [channels, setChannels] = useState<ChannelSummary[] | null>(null);
  const [title, setTitle] = useState("");
  const [error, setError] = useState<string | null>(null);
  const search = useDebounced(query.trim());

  useEffect(() => {
    let cancelled = false;
    http.channels(search).then(
      (page) => !cancelled && setChannels(page.results),
      (e: unknown) => !cancelled && setError(e instanceof Error ? e.message : "Could not load channels"),
    );
    return () => {
      cancelled = true;
    };
  }, [search, http]);

  async function join(channel: ChannelSummary) {
    try {
      if (!channel.is_member) store.upsertConversation(await http.join(channel.id));
      navigate(`/c/${channel.id}`);
    } catch (e) {
      setError(e instanceof Error ? e.message : "Could not join");
    }
  }

  async function create(event: FormEvent) {
    event.preventDefault();
    try {
      const channel = await http.createConversation({ kind: "channel", title: title.trim(), members: [], is_public: true });
      store.upsertConversation(channel);
      navigate(`/c/${channel.id}`);
    } catch (e) {
      setError(e instanceof Error ? e.message : "Could not create the channel");
    }
  }

  return (
    <section className="panel" aria-labelledby="channels-heading">
      <header className="panel-header">
        <BackLink />
        <h1 id="channels-heading">Channels</h1>
      </header>
      <div className="panel-body stack">
        <label className="field">
          <span>Search public channels</span>
          <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Channel name" />
        </label>
        {error && <p className="form-error" role="alert">{error}</p>}
        <ul className="people" aria-label="Public channels">
          {channels?.map((channel) => (
            <li key={channel.id} className="channel-row">
              <span>
                <strong># {channel.title ?? ""}</strong>{" "}
                <span className="muted">
                  {channel.member_count} member{channel.member_count === 1 ? "" : "s"}
                </span>
              </span>
              <button type="button" onClick={() => void join(channel)}>
                {channel.is_member ? "Open" : "Join"}
              </button>
            </li>
          ))}
          {channels?.length === 0 && <li className="muted">No channels found.</li>}
        </ul>
        <form className="inline-form" onSubmit={create}>
          <label className="field grow">
            <span>New public channel</span>
            <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={100} placeholder="general" />
          </label>
          <button type="submit">Create</button>
        </form>
      </div>
    </section>
  );
}
