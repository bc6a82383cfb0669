/** What list commands print: a table for people, or (`--format json`) one JSON object per line for programs. */
import { Option } from 'commander';
import { renderTable } from '../pipeline/table.js';

export type OutputFormat = 'text' | 'json';

export const formatOption = (): Option =>
  new Option('--format <format>', 'text, or json (one object per line)')
    .choices(['text', 'json'])
    .default('text');

export function printJsonLines(rows: object[]): void {
  for (const row of rows) process.stdout.write(JSON.stringify(row) + '\n');
}

export function printTable<T extends object>(rows: T[], columns: (keyof T & string)[]): void {
  process.stdout.write(renderTable(rows, columns));
}
