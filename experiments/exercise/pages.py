"""The exercise's pages: the trainer's page and the students' page (small HTML with a script
that polls the session's JSON and writes every name and text with ``textContent``, never as
HTML), and the debrief (HTML written here, every value escaped)."""

from __future__ import annotations

import html
import json
import math
from typing import Any

from experiments.i18n import catalogue, text
from sim.outcomes import OUTCOMES

STYLE = """
body{font:18px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:60em;padding:0 1em;
color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border-bottom:1px solid #ccc;
padding:.25em .6em;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
button{font-size:1em;padding:.4em .9em;margin:.2em}input,select{font-size:1em;padding:.3em}
.code{font-size:2.4em;letter-spacing:.15em;font-weight:bold}
.round{background:#fff4d6;border:2px solid #e0a800;padding:.6em 1em;margin:.6em 0}
.err{color:#b00020}.muted{color:#666}.better{color:#1b5e20}.worse{color:#b00020}
.choice{display:block;width:100%;text-align:left}.picked{background:#cde8cd}
#map svg{display:block;width:100%;max-width:36em;height:auto}
"""


def _words(lang: str) -> str:
    """The page's texts as JSON safe inside a script element."""
    found = {k: text(k, lang) for k in catalogue("en") if k.startswith("exercise.")}
    return json.dumps(found, ensure_ascii=False).replace("</", "<\\/")


def _page(title: str, body: str, script: str, lang: str) -> str:
    return (
        f'<!doctype html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>{body}"
        f"<script>const T={_words(lang)};{COMMON}{script}</script></body></html>"
    )


COMMON = """
const $=id=>document.getElementById(id);
const q=new URLSearchParams(location.search);
function el(tag,txt,cls){const e=document.createElement(tag);if(txt!==undefined)
e.textContent=txt;if(cls)e.className=cls;return e;}
async function post(url,body){const r=await fetch(url,{method:'POST',
headers:{'Content-Type':'application/json'},body:JSON.stringify(body)});
const j=await r.json();if(!r.ok)throw new Error(j.error||r.status);return j;}
function row(cells){const tr=el('tr');for(const c of cells)tr.appendChild(el('td',String(c)));
return tr;}
"""

TRAINER_BODY = """
<h1 id="title"></h1>
<p><span id="l_code"></span>: <span class="code" id="code"></span>
<br><span id="l_join"></span> <b id="joinurl"></b></p>
<p><span id="l_phase"></span>: <b id="phase"></b> · <span id="clock"></span> ·
<span id="l_harm"></span> <b id="harm"></b> · <span id="l_backlog"></span> <b id="backlog"></b></p>
<p><button id="start"></button><button id="pause"></button><button id="end"></button>
<label><span id="l_speed"></span> <select id="speed"><option>1</option><option>2</option>
<option>4</option><option>8</option></select></label>
<label><span id="l_seconds"></span> <input id="seconds" type="number" min="5" max="3600"
style="width:5em"></label></p>
<p><input id="inject" size="50" maxlength="200"><button id="addinject"></button></p>
<div id="round"></div><p class="err" id="err"></p><p id="debrief"></p>
<h2 id="l_roster"></h2><table id="roster"></table>
<p class="muted" id="l_map"></p><div id="map"></div>
<h2 id="l_roles"></h2><table id="roles"></table>
<h2 id="l_timeline"></h2><table id="timeline"></table>
"""

TRAINER_SCRIPT = """
const key=q.get('key')||'';
for(const [id,k] of [['title','exercise.title'],['l_code','exercise.join_code'],
['l_join','exercise.join_at'],['l_phase','exercise.phase'],['l_harm','exercise.harm'],
['l_backlog','exercise.backlog'],['start','exercise.start'],['pause','exercise.pause'],
['end','exercise.end'],['l_speed','exercise.speed'],['l_seconds','exercise.decision_seconds'],
['addinject','exercise.add_inject'],['l_roster','exercise.roster'],
['l_roles','exercise.roles_open'],['l_timeline','exercise.timeline'],
['l_map','exercise.map']])$(id).textContent=T[k];
$('inject').placeholder=T['exercise.inject_placeholder'];
$('joinurl').textContent=location.origin+'/join';
async function act(name,value){try{$('err').textContent='';
await post('/api/trainer/'+name,{key,value});refresh();}catch(e){$('err').textContent=e.message;}}
$('start').onclick=()=>act('start');$('pause').onclick=()=>act('pause');
$('end').onclick=()=>act('end');$('speed').onchange=()=>act('speed',$('speed').value);
$('seconds').onchange=()=>act('seconds',$('seconds').value);
$('addinject').onclick=()=>{act('inject',$('inject').value);$('inject').value='';};
async function refresh(){const r=await fetch('/api/trainer?key='+encodeURIComponent(key));
const s=await r.json();if(!r.ok){$('err').textContent=s.error;return;}
$('code').textContent=s.code;$('phase').textContent=T['exercise.phase.'+s.phase];
$('clock').textContent=s.clock;$('harm').textContent=s.cum_harm;$('backlog').textContent=s.backlog;
$('speed').value=String(s.speed);
if(s.map)$('map').replaceChildren(document.importNode(new DOMParser()
.parseFromString(s.map,'image/svg+xml').documentElement,true));
if(document.activeElement!==$('seconds'))$('seconds').value=s.decision_seconds;
const rd=$('round');rd.replaceChildren();rd.className='';
if(s.round){rd.className='round';rd.appendChild(el('b',T['exercise.decision_point']+' '+
s.round.number+': '));rd.appendChild(el('span',s.round.words));
rd.appendChild(el('div',s.round.seconds_left+' '+T['exercise.seconds_left']));}
const ro=$('roster');ro.replaceChildren(row([T['exercise.name'],T['exercise.role'],
T['exercise.decided']]));for(const p of s.roster)ro.appendChild(row([p.name,p.role,
p.decided?'✓':'']));
const rl=$('roles');rl.replaceChildren();for(const p of s.roles)rl.appendChild(row([p.label,
p.seats_free]));
const tl=$('timeline');tl.replaceChildren();for(const e of s.timeline)tl.appendChild(row([
e.clock,e.words]));
const d=$('debrief');d.replaceChildren();if(s.debrief){const a=el('a',
T['exercise.open_debrief']);a.href='/debrief?key='+encodeURIComponent(key);d.appendChild(a);}}
refresh();setInterval(refresh,1000);
"""

JOIN_BODY = """
<h1 id="title"></h1>
<form id="joinform"><p><label><span id="l_code"></span><br><input id="code"
inputmode="numeric" maxlength="6" autocomplete="off"></label></p>
<p><label><span id="l_name"></span><br><input id="name" maxlength="40"></label></p>
<p><label><span id="l_role"></span><br><select id="role"></select></label></p>
<p><button id="joinbtn" type="submit"></button></p></form>
<div id="me" hidden><p><span id="l_you"></span> <b id="who"></b> · <span id="clock"></span>
</p><table id="situation"></table><div id="reports" hidden><h2 id="l_reports"></h2>
<table id="reportlist"></table></div><div id="round"></div><p class="muted" id="wait"></p>
<p id="debrief"></p></div><p class="err" id="err"></p>
"""

JOIN_SCRIPT = """
for(const [id,k] of [['title','exercise.join'],['l_code','exercise.join_code'],
['l_name','exercise.name'],['l_role','exercise.role'],['joinbtn','exercise.join_button'],
['l_you','exercise.you_are']])$(id).textContent=T[k];
$('code').value=q.get('code')||'';
let token=sessionStorage.getItem('exercise-token')||'';
async function roles(){const r=await fetch('/api/roles');const s=await r.json();
const sel=$('role');sel.replaceChildren();for(const p of s.roles){const o=el('option',
p.label+' ('+p.seats_free+')');o.value=p.key;o.disabled=p.seats_free<=0;sel.appendChild(o);}}
$('joinform').onsubmit=async ev=>{ev.preventDefault();try{$('err').textContent='';
const j=await post('/api/join',{code:$('code').value,name:$('name').value,role:$('role').value});
token=j.token;sessionStorage.setItem('exercise-token',token);show();}catch(e){
$('err').textContent=e.message;roles();}};
async function choose(c){try{$('err').textContent='';await post('/api/decide',{token,choice:c});
refresh();}catch(e){$('err').textContent=e.message;}}
function show(){$('joinform').hidden=true;$('me').hidden=false;refresh();
setInterval(refresh,1000);}
async function refresh(){const r=await fetch('/api/student?token='+encodeURIComponent(token));
const s=await r.json();if(!r.ok){$('err').textContent=s.error;return;}
$('who').textContent=s.name+' · '+s.role;$('clock').textContent=s.clock;
const st=$('situation');st.replaceChildren();for(const [k,v] of Object.entries(s.situation))
st.appendChild(row([k,v]));
$('reports').hidden=!s.reports||!s.reports.length;if(s.reports&&s.reports.length){
$('l_reports').textContent=T['exercise.reports'];const rl=$('reportlist');rl.replaceChildren(
row(['grid','need','found','reached','delay'].map(k=>T['exercise.report.'+k])));
for(const p of s.reports){const tr=row([p.grid,p.need,p.found,p.reached,p.delay_min]);
tr.lastChild.className='n';rl.appendChild(tr);}}
const rd=$('round');rd.replaceChildren();rd.className='';$('wait').textContent='';
if(s.round&&s.round.choices){rd.className='round';rd.appendChild(el('p',s.round.words));
rd.appendChild(el('p',s.round.seconds_left+' '+T['exercise.seconds_left']+'. '+
T['exercise.default_after'],'muted'));rd.appendChild(el('b',T['exercise.your_choice']));
for(const c of s.round.choices){const b=el('button',c.label,
'choice'+(s.round.picked===c.key?' picked':''));b.onclick=()=>choose(c.key);rd.appendChild(b);}
if(s.round.picked_by)rd.appendChild(el('p',T['exercise.by']+' '+s.round.picked_by,'muted'));}
else $('wait').textContent=s.phase==='ended'?T['exercise.phase.ended']:T['exercise.wait'];
const d=$('debrief');d.replaceChildren();if(s.debrief){const a=el('a',
T['exercise.open_debrief']);a.href='/debrief?token='+encodeURIComponent(token);d.appendChild(a);}}
if(token)show();else roles();
"""


def trainer_page(lang: str) -> str:
    return _page(text("exercise.title", lang), TRAINER_BODY, TRAINER_SCRIPT, lang)


def join_page(lang: str) -> str:
    return _page(text("exercise.join", lang), JOIN_BODY, JOIN_SCRIPT, lang)


def message_page(words: str, lang: str) -> str:
    return _page(words, f'<p class="err">{html.escape(words)}</p>', "", lang)


# --- the debrief -------------------------------------------------------------------------


def _num(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def _signed(x: float, digits: int = 1, outcome: str = "total_harm") -> str:
    """A difference, green where it is better, red where worse (``Outcome.higher_is_better``;
    none for outcomes that only describe the run)."""
    up = OUTCOMES[outcome].higher_is_better
    good = None if up is None or x == 0 else (x > 0) == up
    cls = {True: "better", False: "worse", None: ""}[good]
    return f'<td class="n {cls}">{x:+,.{digits}f}</td>'


def debrief_html(d: dict[str, Any], lang: str = "en", clock: Any = None) -> str:
    """The debrief page (``clock(minute) -> str`` names the model's time; default: hours)."""

    def T(key: str, **fields: Any) -> str:
        return html.escape(text(key, lang, **fields))

    def when(minute: float) -> str:
        return html.escape(clock(minute) if clock else f"{minute / 60:.1f} h")

    e = html.escape
    target = f"{d.get('target_response_min', math.nan):g}"
    rows = "".join(
        f"<tr><td>{T('exercise.outcome.' + k, target=target)}</td>"
        f"<td class='n'>{_num(d['class'][k], 2)}</td>"
        f"<td class='n'>{_num(d['default'][k], 2)}</td>{_signed(d['difference'][k], 2, k)}</tr>"
        for k in d["outcome_keys"]
    )
    outcomes = (
        f"<table><tr><th>{T('exercise.outcome')}</th><th>{T('exercise.class_run')}"
        f"</th><th>{T('exercise.default_run')}</th><th>{T('exercise.difference')}"
        f"</th></tr>{rows}</table>"
    )
    decisions = "".join(
        f"<tr><td>{when(r['minute'])}</td><td>{e(inject_words(r, lang))}</td>"
        f"<td>{e(role_words(r['role'], lang))}</td><td>{e(', '.join(r['students']))}</td>"
        f"<td>{_choice(r, lang)}</td>{_signed(r['effect']['total_harm'])}"
        f"{_signed(r['effect']['mean_response_min'], 2, 'mean_response_min')}</tr>"
        for r in d["decisions"]
    )
    if decisions:
        decisions = (
            f"<table><tr><th>{T('exercise.at')}</th><th>{T('exercise.decision_point')}"
            f"</th><th>{T('exercise.role')}</th><th>{T('exercise.name')}</th>"
            f"<th>{T('exercise.choice')}</th><th>{T('exercise.effect_harm')}</th>"
            f"<th>{T('exercise.effect_response')}</th></tr>{decisions}</table>"
        )
    else:
        decisions = f"<p>{T('exercise.no_decisions')}</p>"
    timeline = "".join(
        f"<tr><td>{when(ev['minute'])}</td><td>{e(event_words(ev, lang))}</td>"
        f"<td class='n'>{_num(ev['cum_harm'])}</td><td class='n'>{ev['backlog']}</td></tr>"
        for ev in d["timeline"]
    )
    timeline = (
        f"<table><tr><th>{T('exercise.at')}</th><th></th><th>{T('exercise.harm')}</th>"
        f"<th>{T('exercise.backlog')}</th></tr>{timeline}</table>"
    )
    body = (
        f"<h1>{T('exercise.debrief')}: {e(d['exercise'])}</h1>"
        f"<p class='muted'>{e(d['scenario'])} · seed {int(d['seed'])}</p>"
        f"{objectives_html(d, lang)}<p>{T('exercise.debrief_intro')}</p>{outcomes}"
        f"<h2>{T('exercise.harm')}</h2>{harm_chart(d.get('series', {}), lang)}"
        f"<h2>{T('exercise.decisions')}</h2>{decisions}<p class='muted'>"
        f"{T('exercise.unfilled')}</p>{after_action_html(d, lang, when)}"
        f"<h2>{T('exercise.timeline')}</h2>{timeline}"
    )
    return (
        f'<!doctype html><html lang="{e(lang)}"><head><meta charset="utf-8">'
        f"<title>{T('exercise.debrief')}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def objectives_html(d: dict[str, Any], lang: str) -> str:
    """The plan's objectives, each met or not (``Objective.judge``), as in the PDF."""
    if not d.get("objectives"):
        return ""
    items = []
    for o in d["objectives"]:
        digits = 2 if o["outcome"].startswith("share_") else 0
        measured = text(
            "exercise.objective_value",
            lang,
            value=f"{o['value']:,.{digits}f}",
            side=text("exercise.at_most" if o["at_most"] else "exercise.at_least", lang),
            bound=f"{o['bound']:,.{digits}f}",
        )
        verdict = text("exercise.met" if o["met"] else "exercise.not_met", lang)
        items.append(
            f"<li><b class='{'better' if o['met'] else 'worse'}'>{html.escape(verdict)}</b>: "
            f"{html.escape(o['words'].get(lang) or o['words']['en'])} "
            f"<span class='muted'>({html.escape(measured)})</span></li>"
        )
    return f"<h2>{html.escape(text('exercise.objectives', lang))}</h2><ul>{''.join(items)}</ul>"


def harm_chart(series: dict[str, list], lang: str, width: int = 640, height: int = 220) -> str:
    """Cumulative harm by hour of the class's run (blue) and the default run (grey), as an
    inline SVG."""
    runs = [
        (series.get("class") or [], "#1565c0", text("exercise.class_run", lang)),
        (series.get("default") or [], "#9e9e9e", text("exercise.default_run", lang)),
    ]
    points = [p for run, _, _ in runs for p in run]
    if not points:
        return ""
    x_max = max(p[0] for p in points) or 1.0
    y_max = max(p[1] for p in points) or 1.0
    left, bottom, top, right = 60, 30, 10, 10

    def xy(p: list) -> str:
        x = left + (width - left - right) * p[0] / x_max
        y = top + (height - top - bottom) * (1 - p[1] / y_max)
        return f"{x:.1f},{y:.1f}"

    lines = "".join(
        f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" '
        f'points="{" ".join(xy(p) for p in run)}"/>'
        for run, colour, _ in runs
    )
    keys = "".join(
        f'<text x="{left + 10}" y="{top + 18 + 20 * k}" fill="{colour}" '
        f'font-size="16">{html.escape(name)}</text>'
        for k, (_, colour, name) in enumerate(runs)
    )
    axes = (
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" '
        f'y2="{height - bottom}" stroke="#555"/><line x1="{left}" y1="{top}" x2="{left}" '
        f'y2="{height - bottom}" stroke="#555"/>'
        f'<text x="{left - 6}" y="{top + 12}" font-size="14" text-anchor="end">'
        f"{y_max:,.0f}</text>"
        f'<text x="{left - 6}" y="{height - bottom}" font-size="14" text-anchor="end">0'
        f'</text><text x="{width - right}" y="{height - 8}" font-size="14" '
        f'text-anchor="end">{x_max:.0f} h</text>'
        f'<text x="{left}" y="{height - 8}" font-size="14">0 h</text>'
    )
    return (
        f'<svg role="img" aria-label="{html.escape(text("exercise.harm", lang))}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"{axes}{lines}{keys}</svg>"
    )


def after_action_html(d: dict[str, Any], lang: str, when: Any) -> str:
    """Per role: its students, strengths and areas for improvement (``debrief.after_action``)."""
    if not d.get("roles"):
        return ""

    def items(role: dict[str, Any], key: str) -> str:
        found = []
        for k in role[key]:
            r = d["decisions"][k]
            what = (
                text("exercise.timed_out", lang)
                if r["timed_out"]
                else f"{choice_words(r['role'].partition(':')[0], r['choice'], lang)} "
                f"({r['effect']['total_harm']:+,.0f})"
            )
            found.append(
                f"<li>{when(r['minute'])} · {html.escape(inject_words(r, lang))}: "
                f"{html.escape(what)}</li>"
            )
        return f"<ul>{''.join(found)}</ul>" if found else html.escape(text("exercise.none", lang))

    rows = "".join(
        f"<tr><td>{html.escape(role_words(role['role'], lang))}<br><span class='muted'>"
        f"{html.escape(', '.join(role['students']))}</span></td>"
        f"<td class='n'>{role['decided']}</td><td class='n'>{role['timed_out']}</td>"
        f"<td>{items(role, 'strengths')}</td><td>{items(role, 'improvements')}</td></tr>"
        for role in d["roles"]
    )
    head = "".join(
        f"<th>{html.escape(text(k, lang))}</th>"
        for k in (
            "exercise.role",
            "exercise.decided",
            "exercise.timeouts",
            "exercise.strengths",
            "exercise.improvements",
        )
    )
    return (
        f"<h2>{html.escape(text('exercise.after_action', lang))}</h2>"
        f"<p class='muted'>{html.escape(text('exercise.after_action_note', lang))}</p>"
        f"<table><tr>{head}</tr>{rows}</table>"
    )


def _choice(r: dict[str, Any], lang: str) -> str:
    words = html.escape(choice_words(r["role"].partition(":")[0], r["choice"], lang))
    if r.get("timed_out"):
        words += f" <span class='muted'>({html.escape(text('exercise.timed_out', lang))})</span>"
    return words


def inject_words(r: dict[str, Any], lang: str) -> str:
    """What opened a decision's decision point, in ``lang`` when the words exist in it."""
    return (r.get("inject_words") or {}).get(lang) or r["inject"]


def role_words(role: str, lang: str) -> str:
    """A role (``grid_manager:B-1``) in words of ``lang``."""
    kind, _, place = role.partition(":")
    return text(f"exercise.role.{kind}", lang, place=place)


def event_words(ev: dict[str, Any], lang: str) -> str:
    """A timeline entry in words of ``lang`` (a decision: its role and choice)."""
    words = ev["words"].get(lang) or ev["words"]["en"]
    if ev["kind"] != "decision":
        return words
    kind = ev["role"].partition(":")[0]
    return f"{role_words(ev['role'], lang)}: {choice_words(kind, ev['choice'], lang)}"


def choice_words(kind: str, choice: str, lang: str) -> str:
    """A choice of a role kind in words of ``lang``."""
    return text(
        "exercise.choice.default" if choice == "default" else f"exercise.choice.{kind}.{choice}",
        lang,
    )
