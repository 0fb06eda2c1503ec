declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    /** Added by patches/dynalite: where the store adds the write units DynamoDB would bill. */
    writeUnits?: { table: number; indexes: number };
  }
  export default function dynalite(options?: DynaliteOptions): Server;
}
