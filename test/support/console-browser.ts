import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInAs } from './browser';
import { removeDataDir, startTollgate, type TollgateProcess } from './tollgate-process';

export { checkPage } from './browser';

/** The system as `npm start` starts it, and Debian's Chromium, for the console's browser journeys. */
export interface ConsoleInBrowser {
  server: TollgateProcess;
  browser: Browser;
  /** Signs in through the local OpenID provider's own page, as a person would: in a browser of their own. */
  signIn(name: string): Promise<Page>;
  close(): Promise<void>;
}

export async function startConsoleInBrowser(env: Record<string, string> = {}): Promise<ConsoleInBrowser> {
  const server = await startTollgate({ env });
  const browser = await launchChromium();
  return {
    server,
    browser,
    signIn: (name) => signInAs(browser, server.url, name),
    async close() {
      await browser.close();
      await server.stop();
      removeDataDir(server.dataDir);
    },
  };
}
