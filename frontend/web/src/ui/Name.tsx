// Names inside the app's English sentences ("This is the start of …", "… is typing…", "Seen by …", "Replying
// to …"): each is isolated (<bdi>, whose direction is its own first strong letter's), so a name in Arabic or
// Hebrew reads right to left inside a sentence that stays left to right. Not isolated, a name took the
// sentence's neighbouring punctuation into its run: "مرحبا!" showed its "!" after the name's end, and two
// Arabic names in a list ran together right to left, the comma on the wrong side and the second name first.
import { Fragment } from "react";

export const Name = ({ children }: { children: string }) => <bdi>{children}</bdi>;

/** "Ada, Grace and you" (`and`) or "Ada, Grace": names listed in a sentence, each isolated. */
export function NameList({ names, and = false }: { names: string[]; and?: boolean }) {
  return names.map((name, index) => (
    <Fragment key={index}>
      {index > 0 && (and && index === names.length - 1 ? " and " : ", ")}
      <bdi>{name}</bdi>
    </Fragment>
  ));
}
