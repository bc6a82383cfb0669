/** The one plain-text table renderer of the command line: a header, a rule, and padded columns. */
export function renderTable<T extends object>(
  rows: readonly T[],
  columns: readonly (keyof T & string)[],
  options: { alignRight?: readonly string[] } = {},
): string {
  const cells = rows.map((r) => columns.map((c) => String((r as Record<string, unknown>)[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const right = columns.map((c) => options.alignRight?.includes(c) ?? false);
  const line = (values: string[]): string =>
    values
      .map((v, i) => (right[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line([...columns]), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}
