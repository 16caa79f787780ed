// `npm run slides` builds every deck to HTML in slides/dist/ and says where.
// `npm run slides -- 04-s3 es/00-opening` builds only those. Exits 1, naming deck, line and problem, when a deck is wrong.
import { relative } from "node:path";
import { pathToFileURL } from "node:url";
import pc from "picocolors";
import { buildDecks, DeckError } from "./decks";

const only = process.argv.slice(2).filter((arg) => arg !== "--");
const started = Date.now();
try {
  const { decks, index, outDir } = await buildDecks({ only, quiet: true });
  for (const deck of decks) {
    console.log(`  ${pc.green("✓")} ${deck.lang}/${deck.name}  ${pc.dim(`${deck.slides} slides, ${deck.snippets.length} snippets`)}  ${deck.title}`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\nBuilt ${decks.length} deck${decks.length === 1 ? "" : "s"} into ${relative(process.cwd(), outDir) || outDir}/ in ${seconds} s.`);
  console.log(`Open ${pc.bold(pathToFileURL(index).href)}`);
} catch (err) {
  if (!(err instanceof DeckError)) throw err;
  console.error(pc.red(`The slides were not built: ${err.problems.length} problem${err.problems.length === 1 ? "" : "s"}.`));
  console.error(err.message);
  process.exitCode = 1;
}
