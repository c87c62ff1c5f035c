/**
 * The dashboard's only script, a progressive enhancement: every page reads
 * without it. It polls /ui/live (same-origin, the session cookie
 * authenticates) and updates elements marked `data-live-cluster` (status
 * badges) and `data-live-firing` (alert counts) in place, pausing while the
 * tab is hidden. Labels come from the page (`data-live-labels`), so the
 * script carries no strings of its own.
 */
export const liveScript = `
(function(){
var root=document.querySelector('[data-live-labels]');if(!root||!window.fetch)return;
var labels=JSON.parse(root.getAttribute('data-live-labels')||'{}');
var period=15000,timer=0;
function apply(data){
(data.clusters||[]).forEach(function(c){
document.querySelectorAll('[data-live-cluster="'+c.name+'"]').forEach(function(el){
el.className='badge s-'+c.status;el.textContent=labels[c.status]||c.status;});});
document.querySelectorAll('[data-live-firing]').forEach(function(el){
var key=el.getAttribute('data-live-firing');
var n=key==='total'?data.firing:(data.bySeverity||{})[key]||0;
el.textContent=new Intl.NumberFormat(document.documentElement.lang).format(n);});}
function poll(){
fetch('/ui/live',{credentials:'same-origin',headers:{accept:'application/json'}})
.then(function(r){return r.ok?r.json():null}).then(function(d){if(d)apply(d)})
.catch(function(){}).then(schedule);}
function schedule(){clearTimeout(timer);if(!document.hidden)timer=setTimeout(poll,period);}
document.addEventListener('visibilitychange',function(){if(!document.hidden)poll();else clearTimeout(timer);});
schedule();
})();
`.trim();
