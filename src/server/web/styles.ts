/**
 * The one stylesheet, inlined in every page and allowed by its hash (page-assets.ts), so
 * pages need no second request and no static file route. Light and dark follow the
 * reader's system setting; colours meet WCAG AA contrast in both.
 */
export const STYLESHEET = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--accent:#0a5cb8;--ok:#1a7f37;--warn-bg:#fff8c5;--warn-line:#d4a72c;--bad:#b42318}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--soft:#151b23;--accent:#58a6ff;--ok:#3fb950;--warn-bg:#2e2a13;--warn-line:#9e7a1b;--bad:#f47067}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:var(--accent);text-decoration:none}
a:hover{text-decoration:underline}
code,pre,kbd,samp{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em}
.top{border-bottom:1px solid var(--line);background:var(--soft)}
.top .wrap{display:flex;gap:1rem;align-items:center;flex-wrap:wrap;padding-top:.7rem;padding-bottom:.7rem}
.brand{font-weight:700;color:var(--fg);font-size:1.1rem}
.wrap{max-width:1120px;margin:0 auto;padding:0 1.25rem}
main.wrap{padding-top:1.5rem;padding-bottom:3rem}
form.search{display:flex;gap:.5rem;flex:1;min-width:240px;max-width:560px}
input[type=search],input[type=password]{flex:1;font:inherit;padding:.4rem .6rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
button{font:inherit;padding:.4rem .9rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);cursor:pointer}
button:hover{border-color:var(--accent)}
form.logout{margin-left:auto}
h1{font-size:1.8rem;line-height:1.25;margin:0 0 .4rem}
h2{font-size:1.15rem;margin:1.6rem 0 .6rem}
.muted{color:var(--muted)}
.lead{font-size:1.1rem;color:var(--muted);margin:.1rem 0 1rem}
.crumbs{font-size:.9rem;margin:0 0 .6rem}
.small{font-size:.875rem}
.badge{display:inline-block;font-size:.75rem;font-weight:600;line-height:1.5;padding:0 .45rem;border-radius:2em;border:1px solid var(--line);color:var(--muted);vertical-align:middle;white-space:nowrap}
.badge.warn{border-color:var(--warn-line);background:var(--warn-bg);color:var(--fg)}
.badge.bad{border-color:var(--bad);color:var(--bad)}
.notice{border:1px solid var(--warn-line);background:var(--warn-bg);border-radius:6px;padding:.6rem .9rem;margin:1rem 0}
.notice.bad{border-color:var(--bad)}
ul.packages{list-style:none;margin:0;padding:0;border-top:1px solid var(--line)}
ul.packages li{padding:.8rem 0;border-bottom:1px solid var(--line)}
ul.packages .name{font-weight:600;font-size:1.05rem}
ul.packages p{margin:.2rem 0 0}
.pager{display:flex;gap:1rem;align-items:center;justify-content:space-between;margin-top:1.2rem}
.layout{display:grid;grid-template-columns:minmax(0,1fr) 340px;gap:2.5rem}
@media (max-width:880px){.layout{grid-template-columns:minmax(0,1fr)}}
aside section{margin-bottom:1.5rem}
aside h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:0 0 .4rem}
dl.meta{margin:0;display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;font-size:.925rem}
dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0;overflow-wrap:anywhere}
pre.copy{margin:.3rem 0;padding:.55rem .7rem;background:var(--soft);border:1px solid var(--line);border-radius:6px;user-select:all;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85em}
.nowrap{white-space:nowrap}
table.versions{width:100%;border-collapse:collapse;font-size:.925rem}
table.versions td{padding:.25rem .4rem .25rem 0;border-bottom:1px solid var(--line);vertical-align:top}
table.versions tr.current td{font-weight:600}
ul.tree,ul.deps{margin:0;padding-left:1.1rem;font-size:.925rem}
ul.tree ul{padding-left:1rem}
ul.tree .here{font-weight:700;color:var(--fg)}
.readme{overflow-wrap:break-word}
.readme img{max-width:100%}
.readme pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem;overflow-x:auto;line-height:1.45}
.readme :not(pre)>code{background:var(--soft);padding:.1em .35em;border-radius:4px}
.readme table{border-collapse:collapse;display:block;overflow-x:auto}
.readme th,.readme td{border:1px solid var(--line);padding:.3rem .6rem}
.readme blockquote{margin:0;padding:0 1rem;color:var(--muted);border-left:.25em solid var(--line)}
.readme h1,.readme h2{border-bottom:1px solid var(--line);padding-bottom:.3rem}
.readme h1{font-size:1.6rem;margin:1.2rem 0 .8rem}
.readme h2{font-size:1.3rem}
.readme>:first-child{margin-top:0}
.login{max-width:460px}
.login form{display:flex;gap:.5rem;margin-top:1rem}
a:focus-visible,button:focus-visible,select:focus-visible,input:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-9999px;top:0}
.skip:focus{left:1rem;top:.5rem;background:var(--bg);padding:.3rem .6rem;z-index:10}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.badge.ok{border-color:var(--ok);color:var(--ok)}
.pkg-meta{margin:.1rem 0 .6rem;color:var(--muted)}
nav.tabs{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;border-bottom:1px solid var(--line);margin:1rem 0 1.2rem}
nav.tabs a{padding:.45rem 0;color:var(--fg);border-bottom:2px solid transparent;margin-bottom:-1px}
nav.tabs a[aria-current=page]{border-bottom-color:var(--accent);font-weight:600}
.pickers{display:flex;flex-wrap:wrap;gap:.6rem 1.2rem;align-items:center;margin:0 0 1rem;font-size:.925rem}
.pickers form{display:flex;gap:.4rem;align-items:center}
select{font:inherit;padding:.3rem .4rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);max-width:14rem}
.copy-row{display:flex;gap:.4rem;align-items:flex-start}
.copy-row pre.copy{flex:1;min-width:0}
.copy-button{font-size:.8rem;padding:.25rem .55rem;margin-top:.3rem}
.ext{font-size:.8em;color:var(--muted)}
.struck{text-decoration:line-through}
tr.yanked td:first-child>a{text-decoration:line-through}
table.versions a{text-decoration:underline;text-underline-offset:2px}
table.versions th{text-align:left;font-size:.8rem;color:var(--muted);font-weight:600;padding:.25rem .4rem .25rem 0;border-bottom:1px solid var(--line)}
.main-col{min-width:0}
.docs-layout{display:grid;grid-template-columns:220px minmax(0,1fr) 200px;gap:2rem}
@media (max-width:1100px){.docs-layout{grid-template-columns:200px minmax(0,1fr)}.docs-layout .toc{grid-column:2;grid-row:1}}
@media (max-width:720px){.docs-layout{grid-template-columns:minmax(0,1fr)}.docs-layout .toc{grid-column:auto;grid-row:auto}}
.doc-nav h2,.toc h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:0 0 .4rem}
.toc ul{list-style:none;margin:0;padding:0 0 0 .8rem;border-left:1px solid var(--line);font-size:.875rem}
.toc li.toc-3{padding-left:.8rem}
.readme .anchor{color:var(--muted);font-weight:400;font-size:.8em;margin-left:.4rem;opacity:.6}
.readme .anchor::before{content:"#"}
.readme .anchor:hover,.readme .anchor:focus{opacity:1}
.readme pre.plain{white-space:pre-wrap;overflow-wrap:anywhere;max-height:80vh;overflow:auto}
.markdown-alert{border-left:.25em solid var(--line);padding:.2rem 1rem;margin:1rem 0}
.markdown-alert>:last-child{margin-bottom:.4rem}
.markdown-alert-title{font-weight:600;margin:.4rem 0}
.markdown-alert-note,.markdown-alert-tip{border-left-color:var(--accent)}
.markdown-alert-important{border-left-color:#8250df}
.markdown-alert-warning{border-left-color:var(--warn-line)}
.markdown-alert-caution{border-left-color:var(--bad)}
.markdown-alert-note .markdown-alert-title,.markdown-alert-tip .markdown-alert-title{color:var(--accent)}
.markdown-alert-caution .markdown-alert-title{color:var(--bad)}
@media (max-width:480px){.wrap{padding:0 .8rem}h1{font-size:1.45rem}form.search{min-width:0;flex-basis:100%}}
footer{border-top:1px solid var(--line);color:var(--muted);font-size:.85rem;padding:1rem 0 2rem}
`;
