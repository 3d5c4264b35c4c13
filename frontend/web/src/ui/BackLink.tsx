import { Icon } from "./Icon";
import { navigate } from "../lib/router";

/** On narrow screens the sidebar is hidden behind the open panel: this goes back to it. */
export function BackLink() {
  return (
    <button type="button" className="icon back" aria-label="Back to conversations" onClick={() => navigate("/")}>
      <Icon name="back" size={22} />
    </button>
  );
}
