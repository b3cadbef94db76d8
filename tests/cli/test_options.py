"""The option table: per-command options, --opt=value, "did you mean", one-line
usage errors, delimiter detection, and the help, completion and man page made
from the table.

Each block names the friction point it covers."""
import json, os, re, subprocess, sys, tempfile

build = os.environ["MMFUSE_BUILD"]
mmfuse = os.path.join(build, "mmfuse")
tmp = tempfile.mkdtemp(prefix="mmfuse-opt-")
os.environ["MMFUSE_CACHE_DIR"] = os.path.join(tmp, "cache")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def run(*args, code=0, stderr_has=(), stdout_has=(), stderr_lines=None):
    p = subprocess.run([mmfuse, *args], capture_output=True, text=True, errors="replace", timeout=300)
    what = f"mmfuse {' '.join(args)} -> {p.returncode}\n  stderr: {p.stderr.strip()[:600]}"
    check(p.returncode == code, what + f" (expected exit {code})")
    check("AddressSanitizer" not in p.stderr and "runtime error:" not in p.stderr, what + " (sanitizer report)")
    for s in stderr_has:
        check(s in p.stderr, what + f" (stderr lacks {s!r})")
    for s in stdout_has:
        check(s in p.stdout, what + f" (stdout lacks {s!r})")
    if stderr_lines is not None:
        n = len(p.stderr.strip().splitlines())
        check(n == stderr_lines, what + f" ({n} stderr lines, expected {stderr_lines})")
    return p


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


rows = ["x,z,label"] + [f"{i % 7},{(i * 3) % 5},{'ab'[i % 2]}" for i in range(40)]
good = write("good.csv", "\n".join(rows) + "\n")
model = os.path.join(tmp, "m.mmf")
run("train", good, "--target", "label", "-o", model, "-q")

# options that do not apply to a command are errors, not silently ignored
run("predict", model, good, "--C", "5", code=2, stderr_has=("--C does not apply to `predict`", "train"), stderr_lines=1)
run("predict", model, good, "--json", code=2, stderr_has=("--json does not apply",), stderr_lines=1)
run("train", good, "--target", "label", "-o", model, "--folds", "3", code=2, stderr_has=("--folds does not apply",))
run("inspect", model, "--threads", "2", code=2, stderr_has=("does not apply",))

# --opt=value works like --opt value; a switch takes no value
p = run("evaluate", good, "--target=label", "--folds=2", "--json", "-q")
check('"results"' in p.stdout, "evaluate with --target=label gives results")
run("evaluate", good, "--target", "label", "--json=yes", code=2, stderr_has=("takes no value",))
run("evaluate", good, "--target", code=2, stderr_has=("needs a value",), stderr_lines=1)

# a typo: one line with a suggestion, not the whole help
run("evaluate", good, "--target", "label", "--max-iters", "5", code=2, stderr_has=("did you mean --max-iter?",),
    stderr_lines=1)
run("evaluate", good, "--target", "label", "--thread", "2", code=2, stderr_has=("did you mean --threads?",))
run("evaluate", good, "--target", "label", "--qwertyuiop", code=2, stderr_has=("unknown option",), stderr_lines=1)
run("evalute", good, code=2, stderr_has=("did you mean evaluate?",), stderr_lines=1)

# a wrong column name: a suggestion and the list of columns
run("evaluate", good, "--target", "lable", code=2, stderr_has=("did you mean 'label'?", "Columns: x, z, label"))
run("evaluate", good, "--target", "label", "--numeric", "xx,z", code=2, stderr_has=("'xx'", "Columns:"))

# one-line "missing ..." errors
run("train", good, "--target", "label", code=2, stderr_has=("missing -o MODEL.mmf",), stderr_lines=1)
run("extract", good, "--target", "label", code=2, stderr_has=("missing -o FEATURES.npy",), stderr_lines=1)
run("evaluate", good, code=2, stderr_has=("missing --target",), stderr_lines=1)
run("predict", model, code=2, stderr_has=("missing NEW.csv",), stderr_lines=1)
run("evaluate", good, good, "--target", "label", code=2, stderr_has=("unexpected argument",), stderr_lines=1)

# extract needs --target or an explicit --no-target
npy = os.path.join(tmp, "f.npy")
run("extract", good, "-o", npy, code=2, stderr_has=("--no-target",), stderr_lines=1)
run("extract", good, "--target", "label", "--no-target", "-o", npy, code=2, stderr_has=("contradict",))
run("extract", good, "--target", "label", "-o", npy, "-q")
import json
side = json.load(open(npy[:-4] + ".json"))
names = [b["name"] for b in side["blocks"]]
check(side["cols"] == 2, f"--target label keeps the target out of the features: {side}")
run("extract", good, "--no-target", "-o", npy, "-q")
side = json.load(open(npy[:-4] + ".json"))
check(side["cols"] > 2, f"--no-target makes every column a feature: {side}")

# delimiter detection: a semicolon- or tab-separated file works without --delimiter
semi = write("semi.csv", "\n".join(r.replace(",", ";") for r in rows) + "\n")
tab = write("tab.csv", "\n".join(r.replace(",", "\t") for r in rows) + "\n")
base = run("evaluate", good, "--target", "label", "--folds", "2", "--json", "-q").stdout
p = run("evaluate", semi, "--target", "label", "--folds", "2", "--json", stderr_has=("separated by ';'",))
check(p.stdout == base, "a semicolon-separated file gives the comma file's results")
p = run("evaluate", tab, "--target", "label", "--folds", "2", "--json", "-q")
check(p.stdout == base, "a tab-separated file gives the comma file's results")
run("evaluate", semi, "--target", "label", "--delimiter", ",", code=2, stderr_has=("--delimiter ';'",))
run("evaluate", tab, "--target", "label", "--delimiter=,", code=2, stderr_has=("tab-separated",))
# a comma inside quotes does not make a semicolon file comma-separated
q = write("quoted.csv", '"a,b";label\n' + "\n".join(f'{i};{"ab"[i % 2]}' for i in range(30)) + "\n")
run("evaluate", q, "--target", "label", "--folds", "2", "-q")
# piped input: the comma default, no detection needed
with open(good) as f:
    p = subprocess.run([mmfuse, "evaluate", "-", "--target", "label", "--folds", "2", "--json", "-q"], stdin=f,
                       capture_output=True, text=True)
check(p.returncode == 0 and p.stdout == base, f"CSV on stdin: {p.returncode} {p.stderr[:300]}")

# help: generated per command, shows every parsed option, only applicable ones
helps = {}
for cmd in ("evaluate", "train", "predict", "extract", "analyze", "inspect"):
    p = run(cmd, "--help")
    helps[cmd] = set(re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z0-9-]*|--C)\b", p.stdout, re.M))
    check(all(len(line) <= 79 for line in p.stdout.splitlines()), f"{cmd} --help lines fit 79 columns")
check("--video" in helps["evaluate"] and "--no-progress" in helps["evaluate"], "--video and --no-progress are in --help")
check("--C" not in helps["predict"] and "--folds" not in helps["train"], "predict --help lacks --C; train --help lacks --folds")
check("--proba" in helps["predict"] and "--proba" not in helps["evaluate"], "--proba only for predict")
# every option the help shows is accepted by that command (an option that the
# parser does not know would say "unknown option", one that does not apply
# "does not apply")
for cmd, opts in helps.items():
    for o in sorted(opts):
        p = subprocess.run([mmfuse, cmd, o, "--help"], capture_output=True, text=True)
        check("unknown option" not in p.stderr and "does not apply" not in p.stderr,
              f"{cmd} {o}: {p.stderr.strip()[:200]}")

# the pipeline file carries every setting; flags override it; unknown keys are errors
pipe = os.path.join(tmp, "pipe.json")
a = run("evaluate", good, "--target", "label", "--C", "0.3", "--folds", "3", "--max-features", "7", "--no-scale",
        "--json", "-q", "--save-config", pipe).stdout
cfg = json.load(open(pipe))
check(cfg["mmfuse_pipeline"] == 1 and cfg["settings"]["C"] == 0.3 and cfg["settings"]["folds"] == 3 and
      cfg["settings"]["no-scale"] is True and cfg["settings"]["max-iter"] == 500, f"saved settings {cfg.get('settings')}")
b = run("evaluate", good, "--config", pipe, "--json", "-q").stdout
res = lambda out: json.loads(out)["results"]  # the schema's "source" says config now
check(res(a) == res(b), "the saved pipeline file reproduces the run")
c1 = run("evaluate", good, "--C", "1", "--config", pipe, "--json", "-q").stdout
c2 = run("evaluate", good, "--target", "label", "--folds", "3", "--max-features", "7", "--no-scale", "--json", "-q").stdout
check(res(c1) == res(c2) and res(c1) != res(a), "a flag overrides the file, even before --config")
# a file written for evaluate serves train too (settings of other commands are skipped)
run("train", good, "--config", pipe, "-o", os.path.join(tmp, "m2.mmf"), "-q")
def bad_cfg(obj, *has, code=2):
    path = write("bad.json", json.dumps(obj))
    run("evaluate", good, "--config", path, code=code, stderr_has=has)
bad_cfg({"target": "label", "settings": {"C": 0.1, "fold": 3}}, 'unknown setting "fold"', 'did you mean "folds"')
bad_cfg({"target": "label", "setings": {}}, 'unknown key "setings"', 'did you mean "settings"')
bad_cfg({"target": "label", "settings": {"output": "x"}}, 'unknown setting "output"')
bad_cfg({"target": "label", "settings": {"no-scale": 1}}, "switch")
bad_cfg({"target": "label", "settings": {"C": -1}}, "--C")
bad_cfg({"mmfuse_pipeline": 2, "target": "label"}, "format", code=5)
# a roles-only file (as older versions wrote) still reads
old = write("old.json", json.dumps({"target": "label", "columns": {"x": "numeric"}, "infer_rest": True}))
run("evaluate", good, "--config", old, "--folds", "2", "-q")

# the feature cache: the run that creates it says where; cache info / clear
media = os.path.join(tmp, "media")
os.makedirs(media)
with open(os.path.join(media, "a.wav"), "wb") as f:  # a short sine tone, 16-bit PCM
    import struct, math
    n = 4000
    f.write(b"RIFF" + struct.pack("<I", 36 + 2 * n) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
            + b"data" + struct.pack("<I", 2 * n) + b"".join(struct.pack("<h", int(8000 * math.sin(i / 9))) for i in range(n)))
withaudio = write("audio.csv", "clip,x,label\n" + "".join(f"media/a.wav,{i},{'ab'[i % 2]}\n" for i in range(20)))
cache = os.path.join(tmp, "newcache")
env = dict(os.environ, MMFUSE_CACHE_DIR=cache)
p = subprocess.run([mmfuse, "evaluate", withaudio, "--target", "label", "--audio", "clip", "--folds", "2", "--no-progress"],
                   capture_output=True, text=True, env=env)
check(p.returncode == 0 and "cached in " + cache in p.stderr, f"first run names the new cache: {p.stderr[-300:]}")
p = subprocess.run([mmfuse, "evaluate", withaudio, "--target", "label", "--audio", "clip", "--folds", "2", "--no-progress"],
                   capture_output=True, text=True, env=env)
check(p.returncode == 0 and "cached in" not in p.stderr, "later runs do not repeat the note")
p = subprocess.run([mmfuse, "cache", "info", "--json"], capture_output=True, text=True, env=env)
info = json.loads(p.stdout)
check(info["dir"] == cache and info["entries"] == 1 and info["bytes"] > 0, f"cache info {info}")
open(os.path.join(cache, "notes.txt"), "w").write("mine")
p = subprocess.run([mmfuse, "cache", "clear"], capture_output=True, text=True, env=env)
check(p.returncode == 0 and "removed 1 " in p.stdout, f"cache clear: {p.stdout}")
check(os.path.exists(os.path.join(cache, "notes.txt")), "cache clear removes only cache entries")
p = subprocess.run([mmfuse, "cache", "info", "--json", "--cache-dir", cache], capture_output=True, text=True)
check(json.loads(p.stdout)["entries"] == 0, "the cache is empty after clear")
run("cache", "frobnicate", code=2, stderr_has=("unexpected argument",))

# a CSV (or anything else) where a model file belongs: said plainly, exit 3
run("inspect", good, code=3, stderr_has=("is not an mmfuse model file", "text or CSV"), stderr_lines=1)
run("predict", good, good, code=3, stderr_has=("is not an mmfuse model file",), stderr_lines=1)
run("score", good, good, code=3, stderr_has=("is not an mmfuse model file",), stderr_lines=1)

# bash completion made from the same table
comp = run("completion", "bash").stdout
script = os.path.join(tmp, "comp.bash")
open(script, "w").write(comp)
def complete(*words):
    cmd = (f"source {script}; COMP_WORDS=(mmfuse {' '.join(words)}); COMP_CWORD={len(words)}; _mmfuse; "
           'printf "%s\\n" "${COMPREPLY[@]}"')
    return subprocess.run(["bash", "-c", cmd], capture_output=True, text=True).stdout.split()
check(complete("predict", "--pr") == ["--proba"], f"completion of predict --pr: {complete('predict', '--pr')}")
check("--max-iter" in complete("evaluate", "--max"), "completion of evaluate --max")
check(complete("predict", "--C") == [], "predict does not complete --C")
check("evaluate" in complete("ev"), "completion of the command name")
for cmd, opts in helps.items():
    got = set(complete(cmd, "--"))
    check(opts <= got, f"completion of {cmd} lists every option of its help: missing {sorted(opts - got)}")

# the man page from the same help
man = run("man").stdout
check(man.startswith(".TH MMFUSE 1"), "man page header")
for cmd, opts in helps.items():
    check(f".SS {cmd}" in man, f"man page has a section for {cmd}")
    for o in opts:
        check(o.replace("-", "\\-") in man, f"man page lists {o}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
