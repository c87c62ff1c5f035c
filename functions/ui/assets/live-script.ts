/**
 * The dashboard's only script, a progressive enhancement: every page reads
 * and works without it.
 *
 * - Live updates: on a page with live parts (`data-live=<key>`) it fetches
 *   the same page again (same-origin GET, the session cookie authenticates)
 *   every 15 s while the tab is visible, and copies each live part of the
 *   fresh page over the one shown (class and content, matched by key): so
 *   every figure, line and badge the server marked moves, worded and escaped
 *   by the server, on every page, and the script carries no strings. Parts
 *   holding form fields are never marked, so typing is never lost. A badge
 *   whose text changed (`data-live-cluster` names its cluster) is read out
 *   through the `#live-news` live region. A redirect (the session ended) or
 *   an error leaves the page as it is.
 * - Copy buttons: `button[data-copy=<id>]` are rendered `hidden` (nothing
 *   to press without a script) and shown here; a press copies the text of
 *   element <id> and says so with the button's `data-copied` label.
 */
export const liveScript = `
(function(){
function $$(s){return Array.prototype.slice.call(document.querySelectorAll(s));}
$$('button[data-copy]').forEach(function(b){
b.hidden=false;var label=b.textContent;
b.addEventListener('click',function(){
var el=document.getElementById(b.getAttribute('data-copy'));if(!el)return;
var text=el.value!==undefined?el.value:el.textContent;
function done(){b.textContent=b.getAttribute('data-copied')||label;setTimeout(function(){b.textContent=label;},2000);}
function fallback(){var r=document.createRange();r.selectNodeContents(el);var s=getSelection();s.removeAllRanges();s.addRange(r);try{document.execCommand('copy');done();}catch(e){}}
if(navigator.clipboard&&navigator.clipboard.writeText)navigator.clipboard.writeText(text).then(done,fallback);else fallback();});});
if(!window.fetch||!window.DOMParser||!document.querySelector('[data-live]'))return;
var news=document.getElementById('live-news');
var period=15000,timer=0;
function apply(doc){
var fresh={},said=[];
Array.prototype.forEach.call(doc.querySelectorAll('[data-live]'),function(el){fresh[el.getAttribute('data-live')]=el;});
$$('[data-live]').forEach(function(el){
var n=fresh[el.getAttribute('data-live')];if(!n)return;
var who=el.getAttribute('data-live-cluster');
if(who&&el.textContent!==n.textContent)said.push(who+': '+n.textContent);
if(el.className!==n.className)el.className=n.className;
if(el.innerHTML!==n.innerHTML)el.innerHTML=n.innerHTML;});
if(news&&said.length)news.textContent=said.join('. ');}
function poll(){
fetch(location.pathname+location.search,{credentials:'same-origin',headers:{accept:'text/html'}})
.then(function(r){return r.ok&&!r.redirected?r.text():null})
.then(function(h){if(h)apply(new DOMParser().parseFromString(h,'text/html'))})
.catch(function(){}).then(schedule);}
function schedule(){clearTimeout(timer);if(!document.hidden)timer=setTimeout(poll,period);}
document.addEventListener('visibilitychange',function(){if(!document.hidden)poll();else clearTimeout(timer);});
schedule();
})();
`.trim();
