// The eight channels: name (i18n), chart colour and line style, and an icon that always comes with its name.

import { h, s } from "./dom.js";
import { t } from "./i18n.js";

export const CHANNELS = ["phone", "messaging", "email", "chat", "social", "web", "mobile", "office"];

// Colours with ≥ 4.5:1 contrast on white, distinguishable also by dash pattern in charts.
const STYLE = {
  phone: { color: "#1f5fa8", dash: [] },
  messaging: { color: "#1b7339", dash: [8, 4] },
  email: { color: "#b3261e", dash: [2, 3] },
  chat: { color: "#6f3aa6", dash: [10, 3, 2, 3] },
  social: { color: "#9a4d00", dash: [] },
  web: { color: "#00666d", dash: [8, 4] },
  mobile: { color: "#a3195b", dash: [2, 3] },
  office: { color: "#4d4d4d", dash: [10, 3, 2, 3] },
};
const FALLBACK_STYLE = { color: "#333333", dash: [] };

// 24×24 stroke icons, drawn for this console.
const ICONS = {
  phone: ["M5 3h4l2 5-2.5 1.5a11 11 0 0 0 6 6L16 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 5a2 2 0 0 1 2-2z"],
  messaging: ["M4 4h16v11H9l-5 4z", "M8 9h8", "M8 12h5"],
  email: ["M3 6h18v12H3z", "M3 6l9 7 9-7"],
  chat: ["M3 4h12v8H7l-4 3z", "M9 15v2h8l4 3V9h-3"],
  social: ["M9 4L7 20", "M17 4l-2 16", "M4 9h16", "M3 15h16"],
  web: ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z", "M3 12h18", "M12 3c3 3 3 15 0 18", "M12 3c-3 3-3 15 0 18"],
  mobile: ["M7 2h10v20H7z", "M11 18h2"],
  office: ["M4 21V8l8-5 8 5v13", "M2 21h20", "M8 12v5", "M12 12v5", "M16 12v5"],
};

export function channelName(channel) {
  return CHANNELS.includes(channel) ? t(`channel.${channel}`) : String(channel);
}

export function channelStyle(channel) {
  return STYLE[channel] || FALLBACK_STYLE;
}

function icon(channel) {
  const paths = ICONS[channel] || ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z"];
  return s(
    "svg",
    {
      class: "icon",
      viewBox: "0 0 24 24",
      width: 20,
      height: 20,
      fill: "none",
      stroke: "currentColor",
      "stroke-width": 1.8,
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
      "aria-hidden": "true",
      focusable: "false",
    },
    paths.map((d) => s("path", { d })),
  );
}

/** Icon + visible channel name (the icon is decorative; the name is the label). */
export function channelLabel(channel) {
  return h(
    "span",
    { class: `channel channel-${channel}`, "data-channel": channel },
    icon(channel),
    h("span", { class: "channel-name" }, channelName(channel)),
  );
}
