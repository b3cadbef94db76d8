"""`mmfuse models` end to end, against a local HTTP server on 127.0.0.1 (never
the network): listing (text and JSON), where the models directory is, pulling
by URL and by registry NAME (through MMFUSE_MODEL_URL_BASE), checksums,
HTTP errors, refused connections, truncated and chunked transfers, redirects,
file:// URLs, payloads that are not safetensors, existing files, `models
path`, usage errors and the progress bar on a terminal.

After every failure the destination must be untouched and no temporary or
staging file may be left next to it."""
import hashlib, http.server, json, os, pty, socket, struct, subprocess, tempfile, threading, time
import numpy as np

build = os.environ["MMFUSE_BUILD"]
mmfuse = os.path.join(build, "mmfuse")
tmp = tempfile.mkdtemp(prefix="mmfuse-models-")
srv_dir = os.path.join(tmp, "srv")
model_dir = os.path.join(tmp, "models")
os.makedirs(os.path.join(srv_dir, "mirror"))
passed = failed = 0

# a clean environment: never the user's models directory, never a proxy
env = {k: v for k, v in os.environ.items()
       if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "mmfuse_model_url_base")}
env["MMFUSE_MODEL_DIR"] = model_dir
env["no_proxy"] = "127.0.0.1,localhost"


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def clean_stderr(text):
    return not any(s in text for s in ("AddressSanitizer", "LeakSanitizer", "runtime error:"))


def run(*args, code=0, stderr_has=(), stdout_has=(), extra_env=None, drop_env=()):
    e = dict(env)
    e.update(extra_env or {})
    for k in drop_env:
        e.pop(k, None)
    p = subprocess.run([mmfuse, "models", *args], capture_output=True, text=True, errors="replace", env=e)
    what = f"mmfuse models {' '.join(args)} -> {p.returncode}\n  stdout: {p.stdout.strip()[:500]}\n  stderr: {p.stderr.strip()[:700]}"
    check(p.returncode == code, what + f" (expected exit {code})")
    check(clean_stderr(p.stderr), what + " (sanitizer report)")
    for s in stderr_has:
        check(s in p.stderr, what + f" (stderr lacks {s!r})")
    for s in stdout_has:
        check(s in p.stdout, what + f" (stdout lacks {s!r})")
    return p


def files_under(d):
    out = set()
    for root, _, names in os.walk(d):
        for n in names:
            out.add(os.path.relpath(os.path.join(root, n), d))
    return out


def sha(data):
    return hashlib.sha256(data).hexdigest()


def safetensors_bytes(tensors):
    header, blobs, off = {}, [], 0
    for name, arr in tensors:
        b = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def put(rel, data):
    path = os.path.join(srv_dir, rel)
    with open(path, "wb") as f:
        f.write(data)
    return data


rng = np.random.default_rng(7)
small = put("small.safetensors", safetensors_bytes([
    ("conv1.weight", rng.standard_normal((4, 3, 3, 3))), ("bn1.weight", rng.standard_normal(4)),
    ("fc.bias", rng.standard_normal(10))]))
big = put("big.safetensors", safetensors_bytes([("fc.weight", rng.standard_normal((768, 1024)))]))  # 3 MiB
mirror18 = put("mirror/resnet18.safetensors", safetensors_bytes([
    ("conv1.weight", rng.standard_normal((8, 3, 7, 7))), ("layer1.0.conv1.weight", rng.standard_normal((8, 8, 3, 3)))]))
notst = put("notst.safetensors", b"<html>this is not a weights file</html>\n" * 20)
put("mirror/resnet34.safetensors", notst)
text = put("vocab.txt", b"[PAD]\n[UNK]\nhello\nworld\n")


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *a, **kw):
        super().__init__(*a, directory=srv_dir, **kw)

    def log_message(self, *a):
        pass

    def do_GET(self):
        if self.path.startswith("/slow/"):  # chunked encoding, small pieces, no length
            data = open(os.path.join(srv_dir, self.path[6:]), "rb").read()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(data), 12345):
                piece = data[i:i + 12345]
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
                self.wfile.flush()
                time.sleep(0.001)
            self.wfile.write(b"0\r\n\r\n")
        elif self.path.startswith("/short/"):  # announces more than it sends, then hangs up
            data = open(os.path.join(srv_dir, self.path[7:]), "rb").read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data) + 1000))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            self.close_connection = True
        elif self.path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("Location", "/" + self.path[10:])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/error500":
            self.send_error(500, "broken on purpose")
        else:
            super().do_GET()


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"

# a port nothing listens on
s = socket.socket()
s.bind(("127.0.0.1", 0))
dead_port = s.getsockname()[1]
s.close()

try:
    # ------------------------------------------------------------ usage errors
    run("bogus", code=2, stderr_has=("unknown argument 'bogus'",))
    run("pull", code=2, stderr_has=("pull needs a NAME",))
    run("pull", "resnet99", code=2, stderr_has=("resnet99", "resnet18"))
    run("pull", base + "/small.safetensors", "--sha256", "xyz", code=2, stderr_has=("not 64 hex digits",))
    run("pull", base + "/small.safetensors", "--frobnicate", code=2, stderr_has=("--frobnicate",))
    run("pull", base + "/small.safetensors", "--output", code=2, stderr_has=("needs a value",))
    run("pull", base + "/", code=2, stderr_has=("--output",))
    run("pull", "ftp://127.0.0.1/x.safetensors", code=2, stderr_has=("unsupported URL",))
    run("path", code=2)
    check(not os.path.exists(model_dir), "usage errors created the models directory")
    p = run("--help", stdout_has=("models pull NAME", "--sha256", "--force", "MMFUSE_MODEL_URL_BASE",
                                  "MMFUSE_MODEL_DIR", "--image-encoder resnet18", "torchvision"))
    run("pull", "--help", stdout_has=("MMFUSE_MODEL_URL_BASE",))
    p = subprocess.run([mmfuse, "--help"], capture_output=True, text=True, env=env)
    check("models" in p.stdout, "`mmfuse --help` lists the models command")

    # ------------------------------------------------------------ listing
    p = run(stdout_has=("models directory: " + model_dir, "resnet18", "resnet34", "resnet50",
                        "mmfuse models pull resnet18", "--image-encoder resnet18",
                        "--image-encoder resnet18:/path/file.safetensors", "torchvision key names",
                        "https://huggingface.co/timm/resnet50.tv_in1k/resolve/main/model.safetensors"))
    rows = {ln.split()[0]: ln.split() for ln in p.stdout.splitlines() if ln.startswith("resnet")}
    check(rows.get("resnet18", [])[1:4] == ["512", "resnet18.safetensors", "no"], f"resnet18 row {rows.get('resnet18')}")
    check(rows.get("resnet50", [])[1:4] == ["2048", "resnet50.safetensors", "no"], f"resnet50 row {rows.get('resnet50')}")
    run("list", stdout_has=("resnet34",))
    for args in (("--json",), ("list", "--json")):
        p = run(*args)
        j = json.loads(p.stdout)
        check(j["models_dir"] == model_dir, f"json models_dir {j['models_dir']}")
        got = [(m["name"], m["arch"], m["dim"], m["file"], m["present"], m["size"], m["sha256"]) for m in j["models"]]
        check(got == [("resnet18", "resnet18", 512, "resnet18.safetensors", False, None, None),
                      ("resnet34", "resnet34", 512, "resnet34.safetensors", False, None, None),
                      ("resnet50", "resnet50", 2048, "resnet50.safetensors", False, None, None)], f"json models {got}")
        check(all(m["url"] == f"https://huggingface.co/timm/{m['name']}.tv_in1k/resolve/main/model.safetensors"
                  and m["path"] == os.path.join(model_dir, m["file"]) and "BSD-3-Clause" in m["about"]
                  for m in j["models"]), "json urls/paths/about")

    # where the models directory is: $MMFUSE_MODEL_DIR > $XDG_CACHE_HOME > $HOME
    p = run("--json", drop_env=("MMFUSE_MODEL_DIR",), extra_env={"XDG_CACHE_HOME": "/x/cache", "HOME": "/h"})
    check(json.loads(p.stdout)["models_dir"] == "/x/cache/mmfuse/models", "XDG_CACHE_HOME models dir")
    p = run("--json", drop_env=("MMFUSE_MODEL_DIR", "XDG_CACHE_HOME"), extra_env={"HOME": "/h"})
    check(json.loads(p.stdout)["models_dir"] == "/h/.cache/mmfuse/models", "HOME models dir")
    p = run("--json", extra_env={"MMFUSE_MODEL_DIR": "", "XDG_CACHE_HOME": "", "HOME": "/h2/"})
    check(json.loads(p.stdout)["models_dir"] == "/h2/.cache/mmfuse/models", "empty variables count as unset")
    run(drop_env=("MMFUSE_MODEL_DIR", "XDG_CACHE_HOME", "HOME"), code=2, stderr_has=("HOME",))

    # ------------------------------------------------------------ models path, nothing pulled yet
    p = run("path", "resnet18", code=4, stderr_has=("mmfuse models pull resnet18",
                                                    os.path.join(model_dir, "resnet18.safetensors")))
    check(p.stdout == "", "path prints nothing when missing")
    run("path", "nosuchmodel", code=4, stderr_has=("nosuchmodel", "resnet18"))
    p = run("path", os.path.join(srv_dir, "small.safetensors"))
    check(p.stdout.strip() == os.path.join(srv_dir, "small.safetensors"), "an existing path is returned as is")

    # ------------------------------------------------------------ pull by URL
    dest = os.path.join(model_dir, "small.safetensors")
    p = run("pull", base + "/small.safetensors", "--sha256", sha(small), "-q",
            stdout_has=("path: " + dest, "sha256: " + sha(small) + " (verified)", "tensors: 3"))
    check(open(dest, "rb").read() == small, "pulled bytes equal the served file")
    check(files_under(model_dir) == {"small.safetensors"}, f"leftovers {files_under(model_dir)}")

    # exists, no --force: same checksum -> fine; no checksum -> refuse; --force -> replace
    run("pull", base + "/small.safetensors", "--sha256", sha(small).upper(), stdout_has=("already present",))
    run("pull", base + "/small.safetensors", code=4, stderr_has=("already exists", "--force", sha(small)))
    run("pull", base + "/small.safetensors", "--sha256", sha(big), code=4, stderr_has=("--force", sha(small), sha(big)))
    p = run("pull", base + "/small.safetensors", "--force", "-q", stdout_has=("sha256: " + sha(small),))
    check("(verified)" not in p.stdout, "no '(verified)' without a checksum")

    # wrong checksum: error naming both digests, nothing left behind
    wrong = "0" * 64
    run("pull", base + "/big.safetensors", "--sha256", wrong, "-q", code=3,
        stderr_has=("SHA-256 mismatch", wrong, sha(big)))
    check(files_under(model_dir) == {"small.safetensors"}, f"leftovers after a mismatch {files_under(model_dir)}")
    # ... and an existing file survives a forced pull that fails its checksum
    run("pull", base + "/big.safetensors", "-o", dest, "--force", "--sha256", wrong, "-q", code=3)
    check(open(dest, "rb").read() == small, "failed forced pull left the old file")

    # HTTP errors and a refused connection
    run("pull", base + "/missing.safetensors", "-q", code=4, stderr_has=("HTTP status 404", "/missing.safetensors"))
    run("pull", base + "/error500", "-o", os.path.join(model_dir, "e.bin"), "-q", code=4, stderr_has=("HTTP status 500",))
    p = run("pull", f"http://127.0.0.1:{dead_port}/x.safetensors", "-q", code=4,
            stderr_has=(f"127.0.0.1:{dead_port}/x.safetensors", "download failed"))
    check("connect" in p.stderr.lower(), f"refused connection message: {p.stderr.strip()}")
    # TLS spoken to a plain HTTP server: a TLS error, and libcurl/OpenSSL state released
    run("pull", base.replace("http://", "https://") + "/small.safetensors", "-o", os.path.join(model_dir, "tls.safetensors"),
        "-q", code=4, stderr_has=("download failed",))
    # a transfer cut short
    run("pull", base + "/short/big.safetensors", "-o", os.path.join(model_dir, "short.safetensors"), "-q",
        code=4, stderr_has=("download failed",))
    check(files_under(model_dir) == {"small.safetensors"}, f"leftovers after failed downloads {files_under(model_dir)}")

    # not safetensors: removed again (a forced replacement keeps the old file)
    run("pull", base + "/notst.safetensors", "-q", code=3, stderr_has=("not a usable safetensors file",))
    run("pull", base + "/notst.safetensors", "-o", dest, "--force", "-q", code=3)
    check(open(dest, "rb").read() == small, "invalid forced pull left the old file")
    check(files_under(model_dir) == {"small.safetensors"}, f"leftovers after invalid payloads {files_under(model_dir)}")

    # a file that is not meant to be weights is kept as it is
    p = run("pull", base + "/vocab.txt", "-q", stdout_has=("sha256: " + sha(text),))
    check("tensors:" not in p.stdout, "no tensor count for a non-weights file")
    check(open(os.path.join(model_dir, "vocab.txt"), "rb").read() == text, "vocab.txt bytes")

    # chunked, slow, a few MiB; into new nested directories
    out = os.path.join(tmp, "nested", "a", "b", "big.safetensors")
    run("pull", base + "/slow/big.safetensors", "-o", out, "--sha256", sha(big), "-q",
        stdout_has=("sha256: " + sha(big) + " (verified)", "tensors: 1", f"({len(big)} bytes)"))
    check(os.path.exists(out) and open(out, "rb").read() == big, "chunked transfer bytes")
    check(files_under(os.path.join(tmp, "nested")) == {"a/b/big.safetensors"}, "nested leftovers")

    # a redirect and a file:// URL
    out = os.path.join(tmp, "redir.safetensors")
    run("pull", base + "/redirect/small.safetensors", "-o", out, "-q", stdout_has=("tensors: 3",))
    check(open(out, "rb").read() == small, "redirected bytes")
    out = os.path.join(tmp, "local.safetensors")
    run("pull", "file://" + os.path.join(srv_dir, "big.safetensors"), "-o", out, "--sha256", sha(big), "-q")
    check(open(out, "rb").read() == big, "file:// bytes")
    run("pull", "file://" + os.path.join(srv_dir, "nope.safetensors"), "-o", out, "--force", "-q", code=4)
    check(open(out, "rb").read() == big, "failed file:// pull left the old file")

    # ------------------------------------------------------------ pull by NAME from a mirror
    mirror = {"MMFUSE_MODEL_URL_BASE": base + "/mirror/"}
    p = run("pull", "resnet18", "-q", extra_env=mirror,
            stdout_has=("path: " + os.path.join(model_dir, "resnet18.safetensors"), "sha256: " + sha(mirror18), "tensors: 2"))
    check(open(os.path.join(model_dir, "resnet18.safetensors"), "rb").read() == mirror18, "resnet18 bytes")
    run("pull", "resnet34", "-q", extra_env=mirror, code=3, stderr_has=("not a usable safetensors file",))
    run("pull", "resnet50", "-q", extra_env=mirror, code=4, stderr_has=("HTTP status 404", "/mirror/resnet50.safetensors"))
    p = run("path", "resnet18")
    check(p.stdout.strip() == os.path.join(model_dir, "resnet18.safetensors"), f"models path: {p.stdout!r}")
    p = run()
    row = [ln for ln in p.stdout.splitlines() if ln.startswith("resnet18")]
    check(row and f"yes ({len(mirror18) / 1000:.1f} KB)" in row[0], f"listed as present: {row}")
    j = json.loads(run("--json").stdout)
    m = {x["name"]: x for x in j["models"]}
    check(m["resnet18"]["present"] and m["resnet18"]["size"] == len(mirror18) and not m["resnet34"]["present"],
          "json presence")
    check(files_under(model_dir) == {"small.safetensors", "vocab.txt", "resnet18.safetensors"},
          f"final models dir {files_under(model_dir)}")

    # ------------------------------------------------------------ progress bar on a terminal
    master, slave = pty.openpty()
    proc = subprocess.Popen([mmfuse, "models", "pull", base + "/big.safetensors", "-o", os.path.join(tmp, "tty.safetensors")],
                            stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    chunks = []

    def drain():
        while True:
            try:
                b = os.read(master, 65536)
            except OSError:
                break
            if not b:
                break
            chunks.append(b)
    t = threading.Thread(target=drain)
    t.start()
    stdout = proc.communicate()[0].decode()
    t.join()
    os.close(master)
    tty = b"".join(chunks).decode(errors="replace")
    check(proc.returncode == 0, f"tty pull exit {proc.returncode}: {tty[-500:]}")
    check("download (KiB)" in tty and "100.0%" in tty, f"progress bar drawn: {tty[-300:]!r}")
    check(clean_stderr(tty), "tty run sanitizer report")
    check("sha256: " + sha(big) in stdout, "tty run stdout")
finally:
    server.shutdown()

print(f"{passed} passed, {failed} failed")
raise SystemExit(1 if failed else 0)
