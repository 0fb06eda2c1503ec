import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import project from '../../../package.json' with { type: 'json' };
import { BROWSER_CHARTS } from '../../adapters/charts/assets';
import type { HttpEvent, HttpResult } from '../http/route';

/**
 * The console's stylesheet and scripts, served by the system itself (the CSP allows `'self'` and
 * nothing else). The scripts are progressive enhancement: pages work without them.
 */
const STYLE = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1f2933;background:#f5f7fa;margin:0;line-height:1.45}
header{background:#243b53;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center}
header a{color:#fff}header .brand{font-weight:700;margin-right:auto;text-decoration:none}
header nav{display:flex;flex-wrap:wrap;gap:.3rem .9rem}header nav a[aria-current]{font-weight:700}
header form{margin:0}header button{background:transparent;color:#fff;border:1px solid #9fb3c8;padding:.2rem .6rem}
main{max-width:60rem;margin:1rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.15rem;margin:1.2rem 0 .5rem}
.card{background:#fff;border-radius:8px;padding:1rem;box-shadow:0 1px 3px #0002;margin:0 0 1rem;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:minmax(6rem,11rem) 1fr;gap:.3rem 1rem;margin:.5rem 0}
dt{color:#486581}dd{margin:0;min-width:0}
@media (max-width:30rem){dl{grid-template-columns:1fr}dt{font-weight:600}dd{margin-bottom:.4rem}}
label{display:block;font-weight:600;margin:.6rem 0 .2rem}
label.inline{display:inline-flex;align-items:center;gap:.3rem;font-weight:400;margin:.2rem 1rem .2rem 0}label.inline input{width:auto}
fieldset{border:1px solid #cbd2d9;border-radius:6px;margin:.6rem 0;padding:.4rem .8rem}legend{font-weight:600;padding:0 .3rem}
input,select,textarea{font:inherit;width:100%;max-width:36rem;padding:.45rem;border:1px solid #9fb3c8;border-radius:4px}
textarea{min-height:5rem}
button,.button{font:inherit;padding:.5rem 1.1rem;border-radius:6px;border:0;cursor:pointer;background:#1a5f96;color:#fff;text-decoration:none;display:inline-block}
.approve{background:#2f8132}.deny,.danger{background:#ba2525}
.actions{display:flex;flex-wrap:wrap;gap:.6rem;margin-top:.8rem;align-items:center}
.error{color:#a61b1b;font-weight:600;margin:.2rem 0}.notice{background:#e3f8e8;border-left:4px solid #2f8132;padding:.6rem 1rem;margin-bottom:1rem}
.problem{background:#ffe3e3;border-left:4px solid #ba2525;padding:.6rem 1rem;margin-bottom:1rem}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:4px;background:#d9e2ec;font-size:.9rem}
.muted{color:#52606d}ol.timeline{padding-left:1.2rem}ol.timeline li{margin:.3rem 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #d9e2ec;vertical-align:top}
a{color:#0b5394}
details{margin-top:.6rem}.scroll{overflow-x:auto}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:0 1rem;align-items:start}.grid .actions{grid-column:1/-1}
.ok{color:#1e6b22;font-weight:600}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f0f4f8;padding:.6rem;border-radius:4px;font-size:.85rem}
figure{margin:0 0 1.2rem;min-width:0}figcaption{font-weight:600;margin-bottom:.3rem}
.chart-canvas{display:none;width:100%}.drawn .chart-canvas{display:block}
.chart-data caption{text-align:left;color:#52606d;padding:.2rem 0}
.period{display:flex;flex-wrap:wrap;gap:0 1rem;align-items:flex-end}.period>div{flex:1 1 10rem}
ul.ids{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.2rem .8rem}
ul.entries{list-style:none;padding:0;margin:0}ul.entries>li{border-top:1px solid #d9e2ec;padding:.4rem 0}h4{font-size:1rem;margin:.3rem 0}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}summary{cursor:pointer;color:#0b5394}
`;

const SCRIPT = `
(function(){
  var zone;try{zone=Intl.DateTimeFormat().resolvedOptions().timeZone}catch(e){}
  document.querySelectorAll('time[datetime]').forEach(function(el){
    var at=new Date(el.getAttribute('datetime'));if(isNaN(at))return;
    el.title=el.textContent;
    el.textContent=at.toLocaleString(undefined,{weekday:'short',day:'numeric',month:'short',hour:'2-digit',minute:'2-digit',timeZoneName:'short'});
  });
  document.querySelectorAll('form[data-confirm]').forEach(function(form){
    form.addEventListener('submit',function(event){if(!window.confirm(form.getAttribute('data-confirm')))event.preventDefault();});
  });
  if(zone)document.querySelectorAll('[data-zone]').forEach(function(el){el.textContent='Times are shown in '+zone+'.'});
})();
`;

/**
 * The dashboard's charts (pages/dashboard.ts): each figure's ECharts option, read from the JSON data
 * block beside it, drawn into its canvas by ECharts (loaded before this script). The figure's
 * table stays open without the script; once the chart is drawn it folds into its `<details>`.
 */
const CHARTS_SCRIPT = `
(function(){
  if(!window.echarts)return;
  var drawn=[];
  document.querySelectorAll('figure[data-chart]').forEach(function(figure){
    var data=document.getElementById(figure.getAttribute('data-chart'));
    var canvas=figure.querySelector('.chart-canvas');
    if(!data||!canvas)return;
    var option;try{option=JSON.parse(data.textContent)}catch(e){return}
    figure.classList.add('drawn');
    canvas.style.height=(Number(canvas.getAttribute('data-height'))||240)+'px';
    var chart=window.echarts.init(canvas,null,{renderer:'canvas'});
    chart.setOption(option);
    drawn.push(chart);
    var details=figure.querySelector('details');if(details)details.open=false;
  });
  if(drawn.length)window.addEventListener('resize',function(){drawn.forEach(function(chart){chart.resize()})});
})();
`;

/** ECharts, by the version package.json pins: a new version is a new name, so browsers may keep it for a year. */
export const ECHARTS_FILE = `echarts-${project.dependencies.echarts}.min.js`;

/** Where ECharts' browser build is: beside the bundle in Lambda (LAMBDA_TASK_ROOT), in node_modules elsewhere. */
export function browserChartsPath(taskRoot: string | undefined): string {
  if (taskRoot) return join(taskRoot, BROWSER_CHARTS.folder, BROWSER_CHARTS.name);
  return createRequire(import.meta.url).resolve(BROWSER_CHARTS.module);
}

interface Asset {
  type: string;
  body: () => Promise<string>;
  cache: string;
}

const SHORT = 'public, max-age=300';
const script = 'text/javascript; charset=utf-8';
let echarts: Promise<string> | undefined;

// A Map, not an object: a file name such as `valueOf` must be a 404, not a property of Object.prototype.
const assets = new Map<string, Asset>([
  ['console.css', { type: 'text/css; charset=utf-8', body: async () => STYLE, cache: SHORT }],
  ['console.js', { type: script, body: async () => SCRIPT, cache: SHORT }],
  ['charts.js', { type: script, body: async () => CHARTS_SCRIPT, cache: SHORT }],
  [
    ECHARTS_FILE,
    {
      type: script,
      // Read once per process, when first asked for.
      body: () => {
        echarts ??= readFile(browserChartsPath(process.env.LAMBDA_TASK_ROOT), 'utf8').catch((error) => {
          echarts = undefined;
          throw error;
        });
        return echarts;
      },
      cache: 'public, max-age=31536000, immutable',
    },
  ],
]);

export const handler = middy<HttpEvent, HttpResult, Error, Context>().handler(
  async (event): Promise<HttpResult> => {
    const asset = assets.get(event.pathParameters?.file ?? '');
    if (!asset) return { statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'Not found' };
    return {
      statusCode: 200,
      headers: {
        'content-type': asset.type,
        'cache-control': asset.cache,
        'x-content-type-options': 'nosniff',
      },
      body: await asset.body(),
    };
  },
);
