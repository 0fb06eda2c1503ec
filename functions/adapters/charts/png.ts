import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { initWasm, Resvg } from '@resvg/resvg-wasm';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import type { ChartImages } from '../../app/ports';
import { type Chart, chartOption } from '../../domain/analytics/charts';
import { CHART_ASSETS } from './assets';

use([BarChart, LineChart, GridComponent, LegendComponent, SVGRenderer]);

const FONT_FAMILY = 'Inter';

/** Where the chart files are: beside the bundle in Lambda (LAMBDA_TASK_ROOT), in node_modules elsewhere. */
export function chartAssetPaths(taskRoot: string | undefined): { wasm: string; font: string } {
  const { folder, files } = CHART_ASSETS;
  if (taskRoot)
    return { wasm: join(taskRoot, folder, files.wasm.name), font: join(taskRoot, folder, files.font.name) };
  const require = createRequire(import.meta.url);
  return { wasm: require.resolve(files.wasm.module), font: require.resolve(files.font.module) };
}

// The wasm module can be initialised once per process: a second initWasm throws.
let ready: Promise<void> | undefined;

/**
 * Draws charts as PNG: ECharts renders the chart's option to SVG on the server, and resvg turns
 * the SVG into pixels with the bundled Inter font only (system fonts never load, so a chart looks
 * the same on a laptop and on an arm64 Lambda that has none).
 */
export class PngCharts implements ChartImages {
  readonly #paths: { wasm: string; font: string };
  #font: Promise<Uint8Array> | undefined;

  constructor(paths: { wasm: string; font: string }) {
    this.#paths = paths;
  }

  async png(chart: Chart, size: { width: number; height: number }): Promise<Uint8Array> {
    ready ??= readFile(this.#paths.wasm).then((wasm) => initWasm(wasm));
    this.#font ??= readFile(this.#paths.font);
    const [, font] = await Promise.all([ready, this.#font]);
    const rendering = init(null, null, {
      renderer: 'svg',
      ssr: true,
      width: size.width,
      height: size.height,
    });
    let svg: string;
    try {
      rendering.setOption({
        ...chartOption(chart, FONT_FAMILY),
        animation: false,
        backgroundColor: '#ffffff',
      });
      svg = rendering.renderToSVGString();
    } finally {
      rendering.dispose();
    }
    const resvg = new Resvg(svg, {
      font: { fontBuffers: [font], defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
      // Twice the size it is shown at, so it stays sharp on high-density screens.
      fitTo: { mode: 'width', value: size.width * 2 },
    });
    try {
      return resvg.render().asPng();
    } finally {
      resvg.free();
    }
  }
}
