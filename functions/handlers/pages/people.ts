import type { Directory } from '../../app/ports';

/** Names for the ids a page shows, read once per page: "Fiona Finance", not fiona.finance@example.com. */
export async function namesFor(directory: Pick<Directory, 'identity'>, ids: Iterable<string>) {
  const unique = [...new Set(ids)].filter((id) => id && !id.startsWith('role:'));
  const found = await Promise.all(
    unique.map(async (id) => [id, (await directory.identity(id))?.name] as const),
  );
  const names = new Map(found.flatMap(([id, name]) => (name ? [[id, name] as const] : [])));
  return (id: string): string => {
    if (id === 'role:security') return 'the security group';
    return names.get(id) ?? id;
  };
}
