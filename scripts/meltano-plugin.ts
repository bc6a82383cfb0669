/**
 * Writes meltano/tap-rdstation-conversas.yml, and the README's meltano.yml example, from the tap's own --about
 * (see src/tap/about.ts); a test keeps all three equal.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { meltanoPluginYaml, readmeWithMeltanoExample } from '../src/tap/about.js';

const path = new URL('../meltano/tap-rdstation-conversas.yml', import.meta.url);
writeFileSync(path, meltanoPluginYaml());
process.stdout.write(`wrote ${path.pathname}\n`);

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
writeFileSync(readme, await readmeWithMeltanoExample(readFileSync(readme, 'utf8'), readme));
process.stdout.write(`wrote the meltano.yml example in ${readme}\n`);
