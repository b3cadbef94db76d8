"""Outputs that must not be lost, replaced or left half-written, and
downloads that must not hang (cases 7-12 and 18 of the hardening table).

  case 7   -o names a device, FIFO, socket, directory or symbolic link
  case 8   -o (or any output) is one of the command's inputs
  case 9   standard output cannot be written (/dev/full, a full disk)
  case 10  a full disk while --save-oof / -o replace an existing file
  case 11  SIGINT / SIGTERM while an output is being produced
  case 12  a replaced file keeps its permission bits
  case 18  `models pull` from a server that stalls, trickles or never ends

A full disk is simulated with RLIMIT_FSIZE in the child (SIGXFSZ ignored, so
the write fails with EFBIG). Downloads use a local server on 127.0.0.1 only.
No test reads the clock for a threshold: time limits are set small through
the documented knobs and every wait is a bounded loop or a subprocess
timeout that turns a hang into a failure."""
import glob, hashlib, http.server, os, resource, shutil, signal, socket, stat, subprocess, tempfile, threading, time

build = os.environ["MMFUSE_BUILD"]
mmfuse = os.path.join(build, "mmfuse")
tmp = tempfile.mkdtemp(prefix="mmfuse-outputs-")
env = {k: v for k, v in os.environ.items()
       if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "mmfuse_model_url_base",
                            "mmfuse_pull_stall_seconds")}
env["MMFUSE_CACHE_DIR"] = os.path.join(tmp, "cache")  # never the user's cache
env["MMFUSE_MODEL_DIR"] = os.path.join(tmp, "models")
env["no_proxy"] = "127.0.0.1,localhost"
HANG = 240  # seconds after which a run counts as hung (generous for sanitizer builds)
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def clean(text):
    return not any(s in text for s in ("AddressSanitizer", "LeakSanitizer", "runtime error:"))


def p(*parts):
    return os.path.join(tmp, *parts)


def run(*args, code=0, stderr_has=(), stderr_lacks=(), stdin=None, stdout=None, preexec=None, extra_env=None,
        case=""):
    e = dict(env)
    e.update(extra_env or {})
    what = f"[{case}] mmfuse {' '.join(args)}"
    try:
        r = subprocess.run([mmfuse, *args], stdin=stdin, stdout=stdout if stdout is not None else subprocess.PIPE,
                           stderr=subprocess.PIPE, env=e, preexec_fn=preexec, timeout=HANG, cwd=tmp)
    except subprocess.TimeoutExpired:
        check(False, what + f" hung (no exit within {HANG} s)")
        return None
    err = r.stderr.decode(errors="replace")
    what += f" -> {r.returncode}\n  stderr: {err.strip()[:700]}"
    check(r.returncode == code, what + f" (expected exit {code})")
    check(clean(err), what + " (sanitizer report)")
    for s in stderr_has:
        check(s in err, what + f" (stderr lacks {s!r})")
    for s in stderr_lacks:
        check(s not in err, what + f" (stderr has {s!r})")
    r.err = err
    return r


def leftovers(d=None):
    d = d or tmp
    return sorted(glob.glob(os.path.join(d, "**", "*.tmp.*"), recursive=True))


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def fsize_limit(n):
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
    return pre


def with_umask(u):
    def pre():
        os.umask(u)
    return pre


def default_sigint():
    # a shell without job control starts background jobs with SIGINT ignored;
    # the child must see the usual default disposition
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# ------------------------------------------------------------------ fixtures
subprocess.run([os.path.join(build, "mmfuse_demo_data"), p("small.csv"), "--rows", "200"], check=True, env=env,
               stdout=subprocess.DEVNULL)
subprocess.run([os.path.join(build, "mmfuse_demo_data"), p("slow.csv"), "--rows", "1500"], check=True, env=env,
               stdout=subprocess.DEVNULL)
TRAIN = ("train", "small.csv", "--target", "category", "-q", "--no-cache")
EVAL = ("evaluate", "small.csv", "--target", "category", "-q", "--no-cache", "--no-stacking", "--folds", "3")
run(*TRAIN, "-o", "m.mmf", case="setup")
check(os.path.isfile(p("m.mmf")), "setup: model written")
model_digest = digest(p("m.mmf"))
csv_digest = digest(p("small.csv"))

# ---------------------------------------------------------------- the server
srv_dir = p("srv")
os.makedirs(srv_dir)
payload = b"x" * 5000
with open(os.path.join(srv_dir, "ok.bin"), "wb") as f:
    f.write(payload)


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *a, **kw):
        super().__init__(*a, directory=srv_dir, **kw)

    def log_message(self, *a):
        pass

    def _stream(self, piece, pause, limit, chunked, length=None):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        try:
            for _ in range(limit):  # bounded even if the client never gives up
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n" if chunked else piece)
                self.wfile.flush()
                if pause:
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        self.close_connection = True

    def do_GET(self):
        if self.path.startswith("/trickle/"):  # 2 bytes per second, announces 1 MB
            self._stream(b"ab", 1.0, 300, False, 1 << 20)
        elif self.path.startswith("/steady/"):  # 8 KiB/s: never a stall, never the end
            self._stream(b"z" * 2048, 0.25, 1200, True)
        elif self.path.startswith("/endless/"):  # as fast as it goes, no length
            self._stream(b"\0" * (1 << 18), 0, 2048, True)
        elif self.path.startswith("/huge/"):  # announces 1 TB
            self._stream(b"\0" * (1 << 16), 0, 2048, False, 10 ** 12)
        else:
            super().do_GET()


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"


def spawn_and_signal(args, watch_glob, sig, preexec=default_sigint, extra_env=None):
    """Starts mmfuse, waits (bounded) until a file matching watch_glob exists,
    sends sig, returns (returncode or None when it hung, stderr, saw_file)."""
    e = dict(env)
    e.update(extra_env or {})
    proc = subprocess.Popen([mmfuse, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e, cwd=tmp,
                            preexec_fn=preexec)
    seen = False
    for _ in range(20000):  # about 100 s at most
        if glob.glob(os.path.join(tmp, watch_glob)):
            seen = True
            break
        if proc.poll() is not None:
            break
        time.sleep(0.005)
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=HANG)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        return None, err.decode(errors="replace"), seen
    return proc.returncode, err.decode(errors="replace"), seen


try:
    # ======================================================= case 7: -o is not a regular file
    REFUSE = "an output must be a regular file or a new name"
    # a device node (as root, `-o /dev/null` used to replace the system's /dev/null)
    made_dev = False
    if os.geteuid() == 0:
        try:
            os.mknod(p("mynull"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
            made_dev = True
        except OSError as ex:
            print(f"note: case 7 device node skipped: mknod failed ({ex})")
    else:
        print("note: case 7 device node skipped: mknod needs root")
    if made_dev:
        run(*TRAIN, "-o", "mynull", code=4, stderr_has=("mynull", "character device", REFUSE), case="case 7: -o is a device node")
        check(stat.S_ISCHR(os.lstat(p("mynull")).st_mode), "case 7: the device node is still a device")
        run("predict", "m.mmf", "small.csv", "-o", "mynull", "-q", code=4, stderr_has=("character device",),
            case="case 7: predict -o is a device node")
    # through a symbolic link: the link is followed and the device refused
    os.symlink("/dev/null", p("nulllink"))
    run(*TRAIN, "-o", "nulllink", code=4, stderr_has=("symbolic link to a character device",),
        case="case 7: -o is a link to /dev/null")
    check(os.path.islink(p("nulllink")) and stat.S_ISCHR(os.stat("/dev/null").st_mode),
          "case 7: the link and /dev/null are as they were")

    # a FIFO: refused before it is opened (opening it would block for ever)
    os.mkfifo(p("fifo"))
    run(*TRAIN, "-o", "fifo", code=4, stderr_has=("fifo", "FIFO", REFUSE), case="case 7: -o is a FIFO")
    run("predict", "m.mmf", "small.csv", "-o", "fifo", code=4, stderr_has=("FIFO",), case="case 7: predict -o FIFO")
    run("extract", "small.csv", "--no-target", "-o", "fifo", "-q", "--no-cache", code=4, stderr_has=("FIFO",),
        case="case 7: extract -o FIFO")
    run(*EVAL, "--save-oof", "fifo", code=4, stderr_has=("FIFO",), case="case 7: --save-oof FIFO")
    run(*EVAL, "--save-config", "fifo", code=4, stderr_has=("FIFO",), case="case 7: --save-config FIFO")
    run("models", "pull", base + "/ok.bin", "-o", "fifo", "-q", code=4, stderr_has=("FIFO",),
        case="case 7: models pull -o FIFO")
    run("models", "pull", base + "/ok.bin", "-o", "fifo", "-q", "--force", code=4, stderr_has=("FIFO",),
        case="case 7: models pull -o FIFO --force")
    check(stat.S_ISFIFO(os.lstat(p("fifo")).st_mode), "case 7: the FIFO is still a FIFO")
    # the .npy sidecar is an output too: a FIFO there stops extract before any work
    os.mkfifo(p("feat.json"))
    run("extract", "small.csv", "--no-target", "-o", "feat.npy", "-q", "--no-cache", code=4, stderr_has=("feat.json", "FIFO"),
        case="case 7: extract sidecar is a FIFO")
    check(not os.path.exists(p("feat.npy")), "case 7: no .npy written when the sidecar is refused")

    # a socket
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(p("sock"))
    run(*TRAIN, "-o", "sock", code=4, stderr_has=("socket", REFUSE), case="case 7: -o is a socket")
    check(stat.S_ISSOCK(os.lstat(p("sock")).st_mode), "case 7: the socket is still a socket")
    sock.close()

    # a directory
    os.mkdir(p("adir"))
    run(*TRAIN, "-o", "adir", code=4, stderr_has=("directory", REFUSE), case="case 7: -o is a directory")
    run("models", "pull", base + "/ok.bin", "-o", "adir", "-q", code=4, stderr_has=("directory",),
        case="case 7: models pull -o directory")
    check(os.path.isdir(p("adir")) and os.listdir(p("adir")) == [], "case 7: the directory is untouched")

    # a symbolic link to a regular file: followed; the link stays, its target is replaced
    os.makedirs(p("real"))
    with open(p("real", "target.mmf"), "wb") as f:
        f.write(b"old contents")
    os.symlink(os.path.join("real", "target.mmf"), p("link.mmf"))
    run(*TRAIN, "-o", "link.mmf", case="case 7: -o is a symlink to a regular file (followed)")
    check(os.path.islink(p("link.mmf")), "case 7: the symlink is still a symlink")
    check(digest(p("real", "target.mmf")) != hashlib.sha256(b"old contents").hexdigest(),
          "case 7: the link's target was replaced")
    run("inspect", "link.mmf", case="case 7: the model written through the link is valid")
    check(leftovers() == [], f"case 7: temporary files left: {leftovers()}")
    # a dangling link: refused, nothing created
    os.symlink("nowhere/none.mmf", p("dangling.mmf"))
    run(*TRAIN, "-o", "dangling.mmf", code=4, stderr_has=("symbolic link to a file that does not exist",),
        case="case 7: -o is a dangling symlink")
    check(os.path.islink(p("dangling.mmf")) and not os.path.exists(p("nowhere")), "case 7: dangling link untouched")
    # a link to a FIFO
    os.symlink("fifo", p("fifolink"))
    run("predict", "m.mmf", "small.csv", "-o", "fifolink", code=4, stderr_has=("symbolic link to a FIFO",),
        case="case 7: -o is a link to a FIFO")
    run("--help", stdout=subprocess.DEVNULL, case="case 7: help")
    h = subprocess.run([mmfuse, "--help"], capture_output=True, text=True, env=env).stdout
    check("symbolic link is" in h and "followed" in h and "FIFOs" in h and "4 file cannot be read or written" in h,
          "case 7: --help documents the output rules and exit code")

    # ======================================================= case 8: an output is an input
    INPUT = "is the same file as the input"
    run("predict", "m.mmf", "small.csv", "-o", "m.mmf", code=4, stderr_has=(INPUT, "m.mmf"),
        case="case 8: predict model -o model")
    check(digest(p("m.mmf")) == model_digest, "case 8: the model is intact")
    run("predict", "m.mmf", "small.csv", "-o", "small.csv", code=4, stderr_has=(INPUT,),
        case="case 8: predict -o the CSV")
    run("extract", "small.csv", "--no-target", "-o", "small.csv", "-q", code=4, stderr_has=(INPUT,), case="case 8: extract csv -o csv")
    run(*TRAIN, "-o", "small.csv", code=4, stderr_has=(INPUT,), case="case 8: train -o the CSV")
    check(digest(p("small.csv")) == csv_digest, "case 8: the CSV is intact")
    os.link(p("m.mmf"), p("hard.mmf"))
    run("predict", "m.mmf", "small.csv", "-o", "hard.mmf", code=4, stderr_has=(INPUT,),
        case="case 8: -o is a hard link of the model")
    os.symlink("small.csv", p("csvlink"))
    run(*TRAIN, "-o", "csvlink", code=4, stderr_has=(INPUT,), case="case 8: -o is a symlink to the CSV")
    run(*EVAL, "--save-config", "cfg.json", case="case 8: setup config")
    cfg_digest = digest(p("cfg.json"))
    run("evaluate", "small.csv", "--config", "cfg.json", "--save-config", "cfg.json", "-q", "--no-cache", code=4,
        stderr_has=(INPUT,), case="case 8: --save-config is the --config file")
    check(digest(p("cfg.json")) == cfg_digest, "case 8: the config is intact")
    run(*EVAL, "--save-oof", "small.csv", code=4, stderr_has=(INPUT,), case="case 8: --save-oof is the CSV")
    with open(p("small.csv"), "rb") as f:
        run("predict", "m.mmf", "-", "-o", "small.csv", stdin=f, code=4, stderr_has=("standard input",),
            case="case 8: -o is the file on standard input")
    run(*EVAL, "--save-oof", "same.out", "--save-config", "same.out", code=4, stderr_has=("name the same file",),
        case="case 8: two outputs name one file")
    check(digest(p("small.csv")) == csv_digest and digest(p("m.mmf")) == model_digest,
          "case 8: inputs intact after every refusal")
    check(leftovers() == [], f"case 8: temporary files left: {leftovers()}")

    # ======================================================= case 9: stdout cannot be written
    STDOUT = "cannot write the results to standard output"
    with open("/dev/full", "wb") as full:
        run(*EVAL, stdout=full, code=4, stderr_has=(STDOUT,), case="case 9: evaluate > /dev/full")
        run("evaluate", "small.csv", "--target", "category", "-q", "--no-cache", "--folds", "3", "--json",
            stdout=full, code=4, stderr_has=(STDOUT,), case="case 9: evaluate --json > /dev/full")
        run("analyze", "small.csv", "--target", "category", "-q", "--no-cache", "--folds", "3", stdout=full, code=4,
            stderr_has=(STDOUT,), case="case 9: analyze > /dev/full")
        run("inspect", "m.mmf", stdout=full, code=4, stderr_has=(STDOUT,), case="case 9: inspect > /dev/full")
        run("inspect", "m.mmf", "--json", stdout=full, code=4, stderr_has=(STDOUT,),
            case="case 9: inspect --json > /dev/full")
        run("models", "list", stdout=full, code=4, stderr_has=(STDOUT,), case="case 9: models list > /dev/full")
        run("models", "--json", stdout=full, code=4, stderr_has=(STDOUT,), case="case 9: models --json > /dev/full")
        run("predict", "m.mmf", "small.csv", "-q", stdout=full, code=4, case="case 9: predict > /dev/full")
        run("--help", stdout=full, code=4, stderr_has=(STDOUT,), case="case 9: --help > /dev/full")
    # a full disk under `> res.json`: was 0 bytes and exit 0
    with open(p("res.json"), "wb") as res:
        run(*EVAL, "--json", stdout=res, preexec=fsize_limit(100), code=4, stderr_has=(STDOUT,),
            case="case 9: evaluate --json > res.json on a full disk")
    with open(p("res.txt"), "wb") as res:
        run(*EVAL, stdout=res, case="case 9: evaluate > file still works")
    check(os.path.getsize(p("res.txt")) > 200, "case 9: results written to a file")

    # ======================================================= case 10: full disk over an existing file
    FULL = 24 * 1024
    run(*EVAL, "--save-oof", "oof.csv", case="case 10: setup --save-oof")
    with open(p("oof.csv")) as f:
        head = f.readline()
    check(head.startswith("row,model,true,pred,proba_"), f"case 10: --save-oof header {head!r}")
    check(os.path.getsize(p("oof.csv")) > FULL, "case 10: the OOF file is larger than the simulated disk")
    oof_digest = digest(p("oof.csv"))
    run(*EVAL, "--save-oof", "oof.csv", "--seed", "7", preexec=fsize_limit(FULL), code=4,
        stderr_has=("oof.csv", "File too large"), case="case 10: --save-oof on a full disk")
    check(digest(p("oof.csv")) == oof_digest, "case 10: the old --save-oof file is intact")
    check(os.path.getsize(p("m.mmf")) > FULL // 2, "case 10: the model is larger than the simulated disk")
    run(*TRAIN, "-o", "m.mmf", "--fusion", "late", preexec=fsize_limit(FULL // 2), code=4,
        stderr_has=("m.mmf", "File too large"), stderr_lacks=(".tmp.",), case="case 10: train -o on a full disk")
    check(digest(p("m.mmf")) == model_digest, "case 10: the old model is intact")
    run("extract", "small.csv", "--no-target", "-o", "feat2.npy", "-q", "--no-cache", case="case 10: setup extract")
    npy_digest = digest(p("feat2.npy"))
    run("extract", "small.csv", "--no-target", "-o", "feat2.npy", "-q", "--no-cache", "--scale", preexec=fsize_limit(FULL), code=4,
        stderr_has=("feat2.npy", "File too large"), stderr_lacks=(".tmp.",), case="case 10: extract -o on a full disk")
    check(digest(p("feat2.npy")) == npy_digest, "case 10: the old .npy is intact")
    run("predict", "m.mmf", "small.csv", "-o", "pred.csv", "-q", case="case 10: setup predict")
    pred_digest = digest(p("pred.csv"))
    run("predict", "m.mmf", "small.csv", "-o", "pred.csv", "--proba", "-q", preexec=fsize_limit(1024), code=4,
        stderr_has=("pred.csv", "File too large"), case="case 10: predict -o on a full disk")
    check(digest(p("pred.csv")) == pred_digest, "case 10: the old predictions are intact")
    check(leftovers() == [], f"case 10: temporary files left: {leftovers()}")

    # ======================================================= case 11: signals
    run(*TRAIN, "-o", "slow.mmf", case="case 11: setup")
    slow_digest = digest(p("slow.mmf"))
    rc, err, seen = spawn_and_signal(("train", "slow.csv", "--target", "category", "-q", "--no-cache", "-o",
                                      "slow.mmf"), "slow.mmf.tmp.*", signal.SIGINT)
    check(seen, "case 11: train -o created its temporary file while working")
    check(rc == -signal.SIGINT, f"case 11: Ctrl-C during train -o ends with SIGINT's status (got {rc}): {err[-300:]}")
    check(clean(err), "case 11: sanitizer report after SIGINT")
    check(leftovers() == [], f"case 11: temporary files left after SIGINT: {leftovers()}")
    check(digest(p("slow.mmf")) == slow_digest, "case 11: the old model is intact after SIGINT")

    oof_before = digest(p("oof.csv"))
    rc, err, seen = spawn_and_signal(("evaluate", "slow.csv", "--target", "category", "-q", "--no-cache",
                                      "--save-oof", "oof.csv"), "oof.csv.tmp.*", signal.SIGTERM)
    check(seen and rc == -signal.SIGTERM, f"case 11: SIGTERM during evaluate --save-oof (got {rc}, seen {seen})")
    check(leftovers() == [], f"case 11: temporary files left after SIGTERM: {leftovers()}")
    check(digest(p("oof.csv")) == oof_before, "case 11: the old OOF file is intact after SIGTERM")

    rc, err, seen = spawn_and_signal(("extract", "slow.csv", "--no-target", "-q", "--no-cache", "-o", "feat2.npy"),
                                     "feat2.npy.tmp.*", signal.SIGINT)
    check(seen and rc == -signal.SIGINT, f"case 11: Ctrl-C during extract (got {rc}, seen {seen})")
    check(leftovers() == [] and digest(p("feat2.npy")) == npy_digest,
          f"case 11: extract interrupted: leftovers {leftovers()}, old .npy intact")

    # an ignored SIGINT (nohup, a background job) stays ignored: the run completes
    rc, err, seen = spawn_and_signal(TRAIN + ("-o", "ign.mmf"), "ign.mmf.tmp.*", signal.SIGINT,
                                     preexec=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    check(rc == 0 and os.path.isfile(p("ign.mmf")), f"case 11: an ignored SIGINT stays ignored (got {rc}): {err[-300:]}")

    # Ctrl-C during a download from a slow server
    with open(p("pulled.bin"), "wb") as f:
        f.write(b"old download")
    rc, err, seen = spawn_and_signal(("models", "pull", base + "/trickle/x.bin", "-o", "pulled.bin", "--force", "-q"),
                                     "pulled.bin.tmp.*", signal.SIGINT)
    check(seen and rc == -signal.SIGINT, f"case 11: Ctrl-C during models pull (got {rc}, seen {seen}): {err[-300:]}")
    check(leftovers() == [], f"case 11: temporary files left after an interrupted pull: {leftovers()}")
    with open(p("pulled.bin"), "rb") as f:
        check(f.read() == b"old download", "case 11: the old file is intact after an interrupted pull")

    # ======================================================= case 12: permission bits
    os.chmod(p("m.mmf"), 0o600)
    run(*TRAIN, "-o", "m.mmf", "--C", "0.5", case="case 12: re-train over a 0600 model")
    check(mode(p("m.mmf")) == 0o600, f"case 12: the model is {oct(mode(p('m.mmf')))} after re-training, not 0600")
    check(digest(p("m.mmf")) != model_digest, "case 12: the model was actually replaced")
    os.chmod(p("m.mmf"), 0o640)
    run(*TRAIN, "-o", "m.mmf", case="case 12: re-train over a 0640 model")
    check(mode(p("m.mmf")) == 0o640, f"case 12: 0640 kept (got {oct(mode(p('m.mmf')))})")
    os.chmod(p("pred.csv"), 0o600)
    run("predict", "m.mmf", "small.csv", "-o", "pred.csv", "-q", case="case 12: predict over a 0600 file")
    check(mode(p("pred.csv")) == 0o600, "case 12: predict -o keeps 0600")
    os.chmod(p("oof.csv"), 0o600)
    run(*EVAL, "--save-oof", "oof.csv", case="case 12: --save-oof over a 0600 file")
    check(mode(p("oof.csv")) == 0o600, "case 12: --save-oof keeps 0600")
    os.chmod(p("feat2.npy"), 0o600)
    run("extract", "small.csv", "--no-target", "-o", "feat2.npy", "-q", "--no-cache", case="case 12: extract over a 0600 file")
    check(mode(p("feat2.npy")) == 0o600, "case 12: extract -o keeps 0600")
    os.chmod(p("pulled.bin"), 0o600)
    run("models", "pull", base + "/ok.bin", "-o", "pulled.bin", "--force", "-q", case="case 12: pull over a 0600 file")
    check(mode(p("pulled.bin")) == 0o600, "case 12: models pull keeps 0600")
    with open(p("pulled.bin"), "rb") as f:
        check(f.read() == payload, "case 12: the pulled bytes")
    # new files follow the umask
    run(*TRAIN, "-o", "new022.mmf", preexec=with_umask(0o022), case="case 12: new file, umask 022")
    check(mode(p("new022.mmf")) == 0o644, f"case 12: new file with umask 022 is {oct(mode(p('new022.mmf')))}")
    run(*TRAIN, "-o", "new077.mmf", preexec=with_umask(0o077), case="case 12: new file, umask 077")
    check(mode(p("new077.mmf")) == 0o600, f"case 12: new file with umask 077 is {oct(mode(p('new077.mmf')))}")
    check(leftovers() == [], f"case 12: temporary files left: {leftovers()}")

    # ======================================================= case 18: downloads that do not end
    dl = p("dl")
    os.makedirs(dl)
    fast_stall = {"MMFUSE_PULL_STALL_SECONDS": "1"}
    run("models", "pull", base + "/trickle/a.bin", "-o", os.path.join(dl, "a.bin"), "-q", extra_env=fast_stall,
        code=4, stderr_has=("stalled", "under 1024 bytes/s for 1 s"), case="case 18: a server sending 2 bytes/s (stall)")
    run("models", "pull", base + "/steady/b.bin", "-o", os.path.join(dl, "b.bin"), "-q", "--timeout", "1",
        code=4, stderr_has=("did not finish within 1 s",), case="case 18: --timeout on a steady endless body")
    run("models", "pull", base + "/endless/c.bin", "-o", os.path.join(dl, "c.bin"), "-q", "--max-size", "100K",
        code=3, stderr_has=("larger than the limit of 102400 bytes",), case="case 18: --max-size on an endless body")
    run("models", "pull", base + "/huge/d.bin", "-o", os.path.join(dl, "d.bin"), "-q", "--max-size", "1M",
        code=3, stderr_has=("larger than the limit of 1048576 bytes",), case="case 18: --max-size, announced 1 TB")
    # a registered NAME has the registry's limit (resnet18: 60,000,000 bytes)
    run("models", "pull", "resnet18", "-q", extra_env={"MMFUSE_MODEL_URL_BASE": base + "/endless"},
        code=3, stderr_has=("larger than the limit of 60000000 bytes",),
        case="case 18: pull NAME from an endless chunked body (registry limit)")
    run("models", "pull", "resnet18", "-q", extra_env={"MMFUSE_MODEL_URL_BASE": base + "/huge"},
        code=3, stderr_has=("larger than the limit of 60000000 bytes",),
        case="case 18: pull NAME announcing 1 TB (registry limit)")
    check(os.listdir(dl) == [] and not os.path.exists(os.path.join(env["MMFUSE_MODEL_DIR"], "resnet18.safetensors")),
          f"case 18: nothing left behind: {os.listdir(dl)}")
    check(leftovers() == [], f"case 18: temporary files left: {leftovers()}")
    # within the limits the same options let a normal download through
    run("models", "pull", base + "/ok.bin", "-o", os.path.join(dl, "ok.bin"), "-q", "--timeout", "60",
        "--max-size", "5000", extra_env=fast_stall, case="case 18: limits that are not reached")
    check(os.path.isfile(os.path.join(dl, "ok.bin")), "case 18: the download within the limits arrived")
    # bad values are usage errors
    run("models", "pull", base + "/ok.bin", "--timeout", "0", code=2, stderr_has=("--timeout",),
        case="case 18: --timeout 0")
    run("models", "pull", base + "/ok.bin", "--timeout", "soon", code=2, stderr_has=("--timeout",),
        case="case 18: --timeout not a number")
    run("models", "pull", base + "/ok.bin", "--max-size", "-5", code=2, stderr_has=("--max-size",),
        case="case 18: --max-size negative")
    run("models", "pull", base + "/ok.bin", "--max-size", "10X", code=2, stderr_has=("--max-size",),
        case="case 18: --max-size bad suffix")
    run("models", "pull", base + "/ok.bin", "-o", os.path.join(dl, "e.bin"), extra_env={"MMFUSE_PULL_STALL_SECONDS": "x"},
        code=2, stderr_has=("MMFUSE_PULL_STALL_SECONDS",), case="case 18: bad MMFUSE_PULL_STALL_SECONDS")
    h = subprocess.run([mmfuse, "models", "--help"], capture_output=True, text=True, env=env).stdout
    check("--timeout SECONDS" in h and "--max-size BYTES" in h and "MMFUSE_PULL_STALL_SECONDS" in h,
          "case 18: models --help documents the limits")
finally:
    server.shutdown()

if not failed:
    shutil.rmtree(tmp, ignore_errors=True)
print(f"{passed} passed, {failed} failed")
raise SystemExit(1 if failed else 0)
