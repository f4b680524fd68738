//! `--html FILE`: a self-contained timeline of a replayed run — one column
//! per lane (hardware, kernel, each agent), one row per step, the
//! violating step marked, each step's detail shown on click. The page has
//! no external resources: the steps are embedded as JSON and drawn by a
//! small script, so it opens from a file with no server and no network.

use crate::world::StepRecord;

fn esc_json_for_script(s: &str) -> String {
    s.replace("</", "<\\/").replace("<!--", "<\\!--")
}

fn esc_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders the page. `lanes` in column order; `violating` the index of
/// the violating step; `title` and `summary` are shown on top.
pub fn render(
    title: &str,
    summary: &str,
    lanes: &[String],
    records: &[StepRecord],
    violating: Option<usize>,
) -> String {
    let steps: Vec<serde_json::Value> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            serde_json::json!({
                "n": i + 1, "token": r.step.token(), "lane": r.lane, "text": r.text,
                "detail": r.detail, "violation": Some(i) == violating,
            })
        })
        .collect();
    let data = serde_json::json!({ "lanes": lanes, "steps": steps });
    let data = esc_json_for_script(&data.to_string());
    format!(
        r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{t}</title>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; font-size: 13px; }}
th {{ background: #eee; position: sticky; top: 0; }}
td.step {{ cursor: pointer; background: #f4f8ff; }}
tr.violation td.step {{ background: #ffd6d6; font-weight: bold; }}
pre.detail {{ display: none; margin: 4px 0 0 0; font-size: 12px; white-space: pre-wrap; }}
pre.detail.open {{ display: block; }}
</style></head>
<body>
<h1>{t}</h1>
<p id="summary">{s}</p>
<p>One row per step, one column per lane; click a step to see what its actor saw and what the kernel did.</p>
<table id="timeline"><thead><tr id="lanes"><th>#</th></tr></thead><tbody></tbody></table>
<script id="data" type="application/json">{data}</script>
<script>
const data = JSON.parse(document.getElementById('data').textContent);
const head = document.getElementById('lanes');
for (const l of data.lanes) {{
  const th = document.createElement('th'); th.className = 'lane'; th.textContent = l; head.appendChild(th);
}}
const body = document.querySelector('#timeline tbody');
for (const s of data.steps) {{
  const tr = document.createElement('tr');
  tr.id = 'step-' + s.n;
  if (s.violation) tr.className = 'violation';
  const n = document.createElement('td'); n.textContent = s.n + ' ' + s.token; tr.appendChild(n);
  for (const l of data.lanes) {{
    const td = document.createElement('td');
    if (l === s.lane) {{
      td.className = 'step';
      td.textContent = (s.violation ? 'VIOLATION: ' : '') + s.text;
      const pre = document.createElement('pre'); pre.className = 'detail';
      pre.textContent = s.detail.join('\n');
      td.appendChild(pre);
      td.addEventListener('click', () => pre.classList.toggle('open'));
    }}
    tr.appendChild(td);
  }}
  body.appendChild(tr);
}}
document.body.setAttribute('data-rendered', String(data.steps.length));
</script>
</body></html>
"#,
        t = esc_html(title),
        s = esc_html(summary),
    )
}
