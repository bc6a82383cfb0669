/** The catalog as the app reads it: its read file, opened for one request at a time (never waits for a sync). */
import { catalogExists } from '../catalog/catalog-file.js';
import { layoutOf } from '../catalog/layout.js';
import { CatalogReader } from '../catalog/reader.js';
import { UserError } from '../errors.js';

/** The catalog read-only for one request (SQL there cannot write or touch other files). */
export async function withCatalog<T>(
  db: string,
  work: (store: CatalogReader) => Promise<T>,
  options: { memoryLimit?: string } = {},
): Promise<T> {
  if (!catalogExists(layoutOf(db))) throw new UserError('no catalog yet: run a source first');
  const store = await CatalogReader.open(db, options);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
