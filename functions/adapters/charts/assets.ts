/**
 * The files a chart rendering reads, by the module path that finds each in node_modules and the
 * name it has in a function's asset: a function that renders charts carries them in its asset's
 * `charts/` folder (lib/constructs/handler-function.ts copies them there), since Lambda has
 * neither node_modules nor any system font. Kept apart from the renderer so the stack reads it
 * without loading ECharts.
 */
export const CHART_ASSETS = {
  folder: 'charts',
  files: {
    wasm: { module: '@resvg/resvg-wasm/index_bg.wasm', name: 'resvg.wasm' },
    font: { module: '@expo-google-fonts/inter/400Regular/Inter_400Regular.ttf', name: 'Inter-Regular.ttf' },
  },
} as const;

/**
 * ECharts' browser build, as the package publishes it, which the console serves for the dashboard
 * to draw its charts with (handlers/pages/assets.ts): the build with bar and line charts, the grid
 * and the legend (`echarts.common`), read from node_modules locally and from the function's asset
 * in Lambda, where lib/constructs/handler-function.ts copies it into `console/`.
 */
export const BROWSER_CHARTS = {
  folder: 'console',
  module: 'echarts/dist/echarts.common.min.js',
  name: 'echarts.min.js',
} as const;
