/**
 * The dashboard's only script, a progressive enhancement: every page reads
 * and works without it.
 *
 * - Live updates: on pages with live parts it polls /ui/live (same-origin,
 *   the session cookie authenticates) every 15 s while the tab is visible
 *   and puts what the server worded into the page: cluster badges
 *   (`data-live-cluster`), every figure (`data-live`, by key) and the
 *   "needs attention" list (`#attention-list`, HTML rendered and escaped by
 *   the server). Badge changes are read out through the `#live-news` live
 *   region. It carries no strings of its own.
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
if(!window.fetch||!document.querySelector('[data-live-cluster],[data-live]'))return;
var news=document.getElementById('live-news');
var period=15000,timer=0;
function apply(d){
var said=[];
(d.clusters||[]).forEach(function(c){
$$('[data-live-cluster="'+c.name+'"]').forEach(function(el){
if(el.textContent!==c.label&&said.indexOf(c.name)<0)said.push(c.name+': '+c.label);
el.className='badge h-'+c.health;el.textContent=c.label;});});
var f=d.figures||{};
$$('[data-live]').forEach(function(el){var k=el.getAttribute('data-live');if(k in f&&el.textContent!==f[k])el.textContent=f[k];});
var list=document.getElementById('attention-list');
if(list&&typeof d.attention==='string'&&list.innerHTML!==d.attention)list.innerHTML=d.attention;
if(news&&said.length)news.textContent=said.join('. ');}
function poll(){
fetch('/ui/live',{credentials:'same-origin',headers:{accept:'application/json'}})
.then(function(r){return r.ok?r.json():null}).then(function(d){if(d)apply(d)})
.catch(function(){}).then(schedule);}
function schedule(){clearTimeout(timer);if(!document.hidden)timer=setTimeout(poll,period);}
document.addEventListener('visibilitychange',function(){if(!document.hidden)poll();else clearTimeout(timer);});
schedule();
})();
`.trim();
