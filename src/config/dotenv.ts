/**
 * A minimal `.env` reader: `KEY=value` lines, `#` comments, optional `export `, single or double
 * quotes (double quotes understand \n). Variables are not expanded: what is written is what is read.
 * @module
 */

/** Parses `.env` text into a map; malformed lines are reported, not fatal. */
export function parseDotenv(text: string): { values: Map<string, string>; errors: string[] } {
  const values = new Map<string, string>();
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(trimmed);
    if (!m) {
      errors.push(`.env line ${i + 1}: expected KEY=value`);
      return;
    }
    values.set(m[1], unquote(m[2]));
  });
  return { values, errors };
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    return v.slice(1, -1).replace(/\\n/g, "\n").replace(/\\"/g, '"');
  }
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  const hash = v.search(/\s#/);
  return (hash >= 0 ? v.slice(0, hash) : v).trim();
}
