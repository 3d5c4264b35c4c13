import { Fragment, useRef } from "react";
import { SHORTCUTS } from "../lib/shortcuts";
import { useModal } from "./Dialog";
import { Icon } from "./Icon";

type Row = [keys: string[], what: string];

const EVERYWHERE: Row[] = [
  [["Tab"], "Next control; the first Tab offers a skip link to the message box or the main content"],
  [["Shift", "Tab"], "Previous control"],
  [["Enter"], "Open the focused conversation, press the focused button"],
  [["Esc"], "Close a dialog, a menu or the reply you started"],
];
const MESSAGE_BOX: Row[] = [
  [["Enter"], "Send"],
  [["Shift", "Enter"], "New line"],
  [["@"], "Mention someone: type a few letters, pick with ↑ ↓ and Enter or Tab"],
  [[":"], "Emoji by short name, e.g. :tada: — pick with ↑ ↓ and Enter or Tab"],
];
const MENTIONS: Row[] = [
  [["@name"], "Mention someone: it is marked for them, counted on the @ badge beside the conversation, and listed under Mentions"],
  [["@here"], "In a group or channel: mention the members looking at Parley right now"],
  [["@all"], "In a group or channel: mention every member (in channels only owners and admins, unless they allow everyone)"],
];
const MESSAGES: Row[] = [
  [["Tab"], "From the message list into a message's Reply, Add reaction, Forward, Pin, Edit and Delete buttons"],
  [["↑ ↓"], "Scroll the focused message list (Page Up, Page Down, Home, End too)"],
];

function Keys({ keys }: { keys: string[] }) {
  return (
    <>
      {keys.map((key, index) => (
        <Fragment key={key}>
          {index > 0 && " + "}
          <kbd>{key}</kbd>
        </Fragment>
      ))}
    </>
  );
}

function Section({ title, rows }: { title: string; rows: Row[] }) {
  return (
    <section>
      <h3>{title}</h3>
      <dl className="shortcuts">
        {rows.map(([keys, what]) => (
          <div key={what}>
            <dt>
              <Keys keys={keys} />
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

/** Help: everything the app does from the keyboard. A modal <dialog>: focus stays inside, Esc closes it. */
export function ShortcutsDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useModal(dialog, open);

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="shortcuts-title" onClose={onClose}>
      <div className="dialog-header">
        <h2 id="shortcuts-title">Keyboard shortcuts</h2>
        <button type="button" className="icon" aria-label="Close" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
      <Section title="Anywhere" rows={[...SHORTCUTS.map((s): Row => [s.keys, s.description]), ...EVERYWHERE]} />
      <Section title="In the message box" rows={MESSAGE_BOX} />
      <Section title="In a conversation" rows={MESSAGES} />
      <Section title="Mentions" rows={MENTIONS} />
      <section>
        <h3>Notifications</h3>
        <p>
          The tab&apos;s title and icon count what waits for you. With notifications turned on (Settings, or the offer
          in the sidebar), a message that comes while Parley is in the background shows on your desktop, with a sound
          if you choose; clicking it opens the message. The bell in a conversation sets what notifies you there: all
          messages, mentions only, or nothing.
        </p>
      </section>
    </dialog>
  );
}
