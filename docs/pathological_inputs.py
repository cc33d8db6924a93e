"""Writes the pathological inputs of docs/performance.md into a folder.

    python3 docs/pathological_inputs.py OUT CALLTREE

OUT is created; CALLTREE is the binary, used once to learn the version a call log of the
report input must carry. Each case is a folder (or file) named after it and its size.
"""
import json
import os
import subprocess
import sys

out, calltree = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))


def write(name, text):
    path = os.path.join(out, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


HEAD = 'tree t "T"\n  start: a\n\nfield x: yesno "X" = yes\n\n'

# The bundled identity check without the second attempt's `set`: its test loops.
with open(os.path.join(here, "..", "trees", "identity_check.tree")) as f:
    text = f.read()
retry = text.index('node retry "Second attempt"')
start = retry + text[retry:].index("  set id_attempts")
end = start + text[start:].index("\n") + 1
write("identity_noset/identity_check.tree", text[:start] + text[end:])

for n in (3000, 10000, 20000):
    condition = "x" + "\tand\tx" * n
    write(f"tabs_and_{n}/t.tree", HEAD + f"node a\n  if {condition} -> b\n  else -> b\n\nnode b\n  end resolved\n")
write("tabs_not_8000/t.tree", HEAD + "node a\n  if " + "not\t" * 8000 + "x -> b\n  else -> b\n\nnode b\n  end resolved\n")

for n in (5000, 10000, 20000):
    write(f"placeholders_{n}/t.tree", 'tree t "T"\n  start: a\n\nnode a\n  say "' + "{u}" * n + '"\n  end resolved\n')

for n in (25000, 50000, 100000):
    for cycle in (False, True):
        lines = ['tree t "T"\n  start: n0\n']
        for i in range(n - 1):
            lines.append(f"node n{i}\n  -> n{i + 1}\n")
        lines.append(f"node n{n - 1}\n  -> n0\n" if cycle else f"node n{n - 1}\n  end resolved\n")
        write(f"{'cycle' if cycle else 'chain'}_{n}/t.tree", "\n".join(lines))

for n in (10000, 20000, 40000):
    write(f"brace_{n}.yaml", "{a: " * n + "x" + "}" * n + "\n")
for kb in (40, 80, 160):
    write(f"open_{kb}k.json", "[" * (kb * 1024))

for d in (50, 100, 200):
    parts = ['tree t "T"\n  start: d0\n']
    for i in range(d):
        nxt = f"d{i + 1}" if i + 1 < d else "done"
        parts.append(f'node d{i} "D{i}"\n  say "Which?"\n  option "Left" -> l{i}\n  option "Right" -> r{i}\n')
        parts.append(f'node l{i} "L{i}"\n  say "Left"\n  -> {nxt}\n')
        parts.append(f'node r{i} "R{i}"\n  say "Right"\n  -> {nxt}\n')
    parts.append('node done "Done"\n  say "Done"\n  end resolved\n')
    write(f"diamonds_{d}/t.tree", "\n".join(parts))

# report: one log of (choose Again, choose Again, Back) on a node that offers itself again.
LOOP = 'tree loop "Loop"\n  start: a\n\nnode a "A"\n  say "Again?"\n  option "Again" -> a\n  option "Done" -> b\n\nnode b "B"\n  say "Bye"\n  end resolved\n'
write("report_tree/loop.tree", LOOP)
write("report_tree/answers.txt", "q\n")
log = os.path.join(out, "report_tree", "start.jsonl")
if os.path.exists(log):
    os.remove(log)
subprocess.run([calltree, "run", "loop.tree", "--log", "start.jsonl", "--answers", "answers.txt"],
               cwd=os.path.join(out, "report_tree"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
with open(log) as f:
    started = json.loads(f.readline())
os.remove(log)
os.remove(os.path.join(out, "report_tree", "answers.txt"))
started["at"] = 1767225600000
for kb in (28, 57, 114, 228):
    lines = [json.dumps(started, separators=(",", ":"))]
    at, size = started["at"], len(lines[0])
    while size < kb * 1024:
        for event in ({"event": "chose", "option": 0, "label": "Again"},) * 2 + ({"event": "back"},):
            at += 1000
            line = json.dumps(dict(event, at=at), separators=(",", ":"))
            lines.append(line)
            size += len(line) + 1
    write(f"report_back_{kb}k/logs/call.jsonl", "\n".join(lines) + "\n")
