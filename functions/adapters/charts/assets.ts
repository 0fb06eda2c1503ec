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
