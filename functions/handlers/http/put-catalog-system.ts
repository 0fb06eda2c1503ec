import { putCatalogSystem } from '../../app/identity-changes';
import { httpRoute, json } from './route';

export const handler = httpRoute({ jsonBody: true }, async ({ caller, body, params }, deps) => {
  const result = await putCatalogSystem(
    { ...deps, directory: deps.directoryStore },
    { caller, id: params.id ?? '', body },
  );
  return json(result.created ? 201 : 200, result);
});
