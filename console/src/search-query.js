// What the agent typed in the one search box: a case reference, an email, a CURP, a social handle or a phone.

export const REFERENCE = /^[A-Z]{3}-\d{4}-\d{6}$/i;
export const CURP = /^[A-Z]{4}\d{6}[HM][A-Z]{5}[A-Z0-9]\d$/;
export const SOCIAL_PLATFORMS = ["facebook", "instagram", "x", "tiktok", "youtube", "threads"];
const PLATFORM_ALIASES = { twitter: "x", fb: "facebook", ig: "instagram" };
const PLATFORM_PREFIX = /^([a-z]+)\s*:\s*(\S+)$/i;
const PHONE = /^[\d\s+().-]+$/;

/**
 * classify("+52 (55) 1234-5678") → {kind: "phone", value}
 * kinds: reference, email, national_id, handle (platform may be null: ask), login_subject, phone, invalid, empty
 */
export function classify(input) {
  const text = String(input || "").trim();
  if (!text) return { kind: "empty" };
  if (REFERENCE.test(text)) return { kind: "reference", value: text.toUpperCase() };
  if (/^sso\|/i.test(text)) return { kind: "login_subject", value: text };

  const prefixed = PLATFORM_PREFIX.exec(text);
  if (prefixed) {
    const name = prefixed[1].toLowerCase();
    const platform = PLATFORM_ALIASES[name] || name;
    if (SOCIAL_PLATFORMS.includes(platform)) return { kind: "handle", platform, value: prefixed[2] };
  }
  if (text.startsWith("@")) return text.length > 1 ? { kind: "handle", platform: null, value: text } : { kind: "invalid" };
  if (text.indexOf("@") > 0) return { kind: "email", value: text };

  const upper = text.toUpperCase();
  if (CURP.test(upper)) return { kind: "national_id", value: upper };

  if (PHONE.test(text) && text.replace(/\D/g, "").length >= 7) return { kind: "phone", value: text };
  return { kind: "invalid" };
}

/** The /v1/context query for a classified input (handles need a platform). */
export function contextQuery(classified, platform = classified.platform) {
  switch (classified.kind) {
    case "email":
      return { email: classified.value };
    case "national_id":
      return { national_id: classified.value };
    case "login_subject":
      return { login_subject: classified.value };
    case "phone":
      return { phone: classified.value };
    case "handle":
      return { handle: `${platform}:${classified.value}` };
    default:
      return null;
  }
}
