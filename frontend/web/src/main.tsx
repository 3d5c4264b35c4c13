import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { applyTheme, readThemeChoice } from "./lib/theme";
import { App } from "./ui/App";
import "./styles.css";

applyTheme(readThemeChoice());

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
