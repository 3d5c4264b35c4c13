// Each conversation's unsent text: kept in memory for the composer, written to IndexedDB shortly after
// typing stops (at once when it is cleared, when the composer goes away and when the page is hidden; when
// it is sent, by the write that puts the message in the outbox), read back after a reload. Thread replies
// being written are kept in memory only. Each tab keeps what is typed in it: a message sent from another
// tab takes out only that tab's draft, and this tab then writes its own again (persist.ts).
import type { LocalStore } from "./persist";

/** Typing writes the draft this long after the last keystroke. */
export const DRAFT_WRITE_DELAY_MS = 250;

export class Drafts {
  private readonly texts = new Map<number, string>();
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  private readonly loaded: Promise<void>;
  private readonly touched = new Set<number>();
  private readonly replies = new Map<string, string>();

  /** `user` resolves once it is known who is signed in; until then drafts live in memory. */
  constructor(
    private readonly local: Promise<LocalStore>,
    private readonly user: Promise<number>,
  ) {
    this.loaded = Promise.all([local, user])
      .then(([store, id]) => store.drafts(id))
      .then(
        (records) => {
          // What was typed while they loaded wins over what they say.
          for (const r of records) if (!this.touched.has(r.conversation)) this.texts.set(r.conversation, r.text);
        },
        () => undefined,
      );
    // Another tab sent (or emptied) the stored draft of a conversation this tab still has text for: it was
    // gone from storage, and this tab's text with it at the next reload.
    void Promise.all([local, user]).then(([store, me]) =>
      store.onDraftTaken((owner, conversation) => {
        if (owner === me && this.texts.has(conversation) && !this.timers.has(conversation)) void this.write(conversation);
      }),
    ).catch(() => undefined);
  }

  /** Resolves once the drafts saved before this page load are known. */
  ready(): Promise<void> {
    return this.loaded;
  }

  get(conversation: number): string {
    return this.texts.get(conversation) ?? "";
  }

  set(conversation: number, text: string): void {
    this.touched.add(conversation);
    this.cancelWrite(conversation);
    if (text) {
      this.texts.set(conversation, text);
      this.timers.set(
        conversation,
        setTimeout(() => void this.write(conversation), DRAFT_WRITE_DELAY_MS),
      );
    } else {
      this.texts.delete(conversation);
      void this.write(conversation); // cleared: at once, or a reload could bring it back
    }
  }

  /** The draft is being sent: gone from here now, and from IndexedDB by the write that puts the message in
   * the outbox (`LocalStore.putOutbox`'s `clearDraft`), so that a reload finds it in one place or the other. */
  sent(conversation: number): void {
    this.touched.add(conversation);
    this.texts.delete(conversation);
    this.cancelWrite(conversation);
  }

  /** Write a conversation's pending draft now (the composer is closing, the page is hidden). */
  async flush(conversation?: number): Promise<void> {
    const ids = conversation === undefined ? [...this.timers.keys()] : [conversation];
    await Promise.all(ids.filter((id) => this.timers.has(id)).map((id) => this.write(id)));
  }

  /** A thread's unsent reply, by its root's id: kept while the page lives (not across a reload), so that a
   * reply half-written in one thread neither shows in the next one opened nor is lost by closing it. */
  reply(root: string): string {
    return this.replies.get(root) ?? "";
  }

  setReply(root: string, text: string): void {
    if (text) this.replies.set(root, text);
    else this.replies.delete(root);
  }

  /** The conversation is gone (the user was removed from it): its draft too. */
  drop(conversation: number): void {
    this.set(conversation, "");
  }

  private cancelWrite(conversation: number): void {
    clearTimeout(this.timers.get(conversation));
    this.timers.delete(conversation);
  }

  private async write(conversation: number): Promise<void> {
    this.cancelWrite(conversation);
    const [store, user] = await Promise.all([this.local, this.user]);
    await store.putDraft({ user, conversation, text: this.get(conversation) }).catch(() => undefined);
  }
}
