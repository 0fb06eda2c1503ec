import { DynamoSessionStore } from '../../adapters/dynamodb/session-store';
import { OpenIdClient } from '../../adapters/openid-client';
import type { Deps } from '../deps';

/** What the console adds to a handler's deps: its sessions, and its OpenID provider when one is set. */
function buildConsoleDeps(deps: Deps) {
  return {
    sessions: new DynamoSessionStore(deps.db, deps.config.tableName),
    openId: deps.config.openId ? new OpenIdClient(deps.config.openId) : null,
  };
}

export type ConsoleDeps = ReturnType<typeof buildConsoleDeps>;

const built = new WeakMap<Deps, ConsoleDeps>();

/** The deps given (the common ones, or those with Cedar) with the console's, built once per process. */
export function withConsole<D extends Deps>(deps: D): D & ConsoleDeps {
  let console = built.get(deps);
  if (!console) {
    console = buildConsoleDeps(deps);
    built.set(deps, console);
  }
  return { ...deps, ...console };
}
