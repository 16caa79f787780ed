// The workshop's two languages: which one the learner reads (the locale, WORKSHOP_LANG, the
// dashboard's key) and every string the harness prints, one file per language (en.json, es.json).
import en from "./en.json" with { type: "json" };
import es from "./es.json" with { type: "json" };

export type Lang = "en" | "es";
export const LANGS: readonly Lang[] = ["en", "es"];

/** A harness message's key: "cli.hint.usedUp". Both files hold the same keys (i18n.test.ts). */
export type MessageKey = keyof typeof en;
export type Vars = Record<string, string | number>;

const CATALOGS: Record<Lang, Record<string, string>> = { en, es };

/** A text in both languages, as lesson.json holds its title, summary, steps and hints. */
export interface Bilingual {
  en: string;
  es: string;
}

/**
 * The language an environment asks for. WORKSHOP_LANG=es|en wins; otherwise the POSIX locale
 * (LC_ALL, then LC_MESSAGES, then LANG): Spanish for any es*, English for anything else.
 */
export function langFrom(env: NodeJS.ProcessEnv = process.env): Lang {
  const chosen = env.WORKSHOP_LANG?.trim().toLowerCase();
  if (chosen === "es" || chosen === "en") return chosen;
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || "";
  return /^es([_.@-]|$)/i.test(locale) ? "es" : "en";
}

/** The language now. Read from the environment on every call, so that a switch reaches test workers too. */
export function lang(): Lang {
  return langFrom(process.env);
}

/** Switches the language of this process and of every process it starts (the dashboard's key). */
export function setLang(next: Lang): void {
  process.env.WORKSHOP_LANG = next;
}

/**
 * Runs `work` (synchronous) with the language switched to `language`, then puts it back: for
 * text in another language than this process's (a verdict a check handed over asked for), made
 * by code that reads lang() itself.
 */
export function withLang<T>(language: Lang, work: () => T): T {
  if (language === lang()) return work();
  const before = process.env.WORKSHOP_LANG;
  process.env.WORKSHOP_LANG = language;
  try {
    return work();
  } finally {
    if (before === undefined) delete process.env.WORKSHOP_LANG;
    else process.env.WORKSHOP_LANG = before;
  }
}

/** Fills "{name}" placeholders; a placeholder with no value is left as it is, so that it shows rather than vanishes. */
export function fill(template: string, vars: Vars = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** A harness message in the current language: t("cli.hint.usedUp", { n: 3 }). */
export function t(key: MessageKey, vars?: Vars, language: Lang = lang()): string {
  const template = CATALOGS[language][key] ?? CATALOGS.en[key] ?? key;
  return fill(template, vars);
}

/** A lesson's message in both languages, written side by side where it is used: say(`…`, `…`). */
export function say(english: string, spanish: string, language: Lang = lang()): string {
  return language === "es" ? spanish : english;
}

/** The current language's side of a bilingual text; a plain string (an old lesson.json) is taken as it is. */
export function pick(text: Bilingual | string | undefined, language: Lang = lang()): string | undefined {
  if (text === undefined || typeof text === "string") return text;
  return text[language] ?? text.en;
}

/** Every key and template of one language (for the sync test and the untranslated-output check). */
export function catalog(language: Lang): Readonly<Record<string, string>> {
  return CATALOGS[language];
}
