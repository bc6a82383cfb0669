/** Writes meltano/tap-rdstation-conversas.yml from the tap's own --about (see src/tap/about.ts). */
import { writeFileSync } from 'node:fs';
import { meltanoPluginYaml } from '../src/tap/about.js';

const path = new URL('../meltano/tap-rdstation-conversas.yml', import.meta.url);
writeFileSync(path, meltanoPluginYaml());
process.stdout.write(`wrote ${path.pathname}\n`);
