/** The catalog as the app reads it: read-only, opened for one request at a time. */
import { existsSync } from 'node:fs';
import { CatalogStore } from '../catalog/store.js';
import { UserError } from '../errors.js';

/** The catalog read-only for one request (SQL there cannot write or touch files). */
export async function withCatalog<T>(db: string, work: (store: CatalogStore) => Promise<T>): Promise<T> {
  if (!existsSync(db)) throw new UserError('no catalog yet: run a source first');
  const store = await CatalogStore.open(db, { readOnly: true });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
