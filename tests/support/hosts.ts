// Real sshd worker hosts for mocha (lab/worker-hosts.sh), and client keys made at test time.
//
//   const lab = new HostLab();                      // keys in a temp dir
//   before(async () => { host = await lab.create("t-ssh-1", "198.18.0.101"); });
//   after(() => lab.dispose());                     // deletes the hosts it created, and the keys
// Over 400 lines: the host lab, its keys and the helpers to reach a host belong together.
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { registeredSecrets } from "./secretScan";

export const repoRoot = path.resolve(__dirname, "..", "..", "..");
export const hostsScript = path.join(repoRoot, "lab", "worker-hosts.sh");
/** Where lab/worker-hosts.sh keeps a host's state: its sshd's key, configuration and pid. */
const hostStateDir = (name: string) => path.join(process.env.HCP_LAB_DIR ?? path.join(repoRoot, ".lab"), "hosts", name);

export interface TestHost {
    name: string;
    address: string;
    port: number;
    user: string;
    privateKey: string;
    /** The host's public key ("ssh-ed25519 AAAA..."), for pinning. */
    hostKey: string;
}

export interface ClientKeys {
    dir: string;
    /** ed25519, no passphrase; authorized on every host. */
    privateKey: string;
    publicKey: string;
    /** ed25519 encrypted with `passphrase`; authorized on every host. */
    encryptedKey: string;
    passphrase: string;
    /** ed25519 that no host authorizes. */
    strangerKey: string;
    /** authorized_keys content given to the hosts. */
    authorizedKeysFile: string;
}

function run(
    cmd: string,
    args: string[],
    input?: string,
    timeoutMs = 60000,
): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = execFile(
            cmd,
            args,
            { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
            (err, stdout, stderr) => {
                if (err) {
                    reject(new Error(`${cmd} ${args.join(" ")} failed: ${err.message}\n${stderr}`));
                } else {
                    resolve({ stdout: String(stdout), stderr: String(stderr) });
                }
            },
        );
        if (input !== undefined) child.stdin?.end(input);
        else child.stdin?.end();
    });
}

/** Generates the client keys in a fresh temp dir (ssh-keygen, ed25519). */
export function makeClientKeys(): ClientKeys {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hcp-keys-"));
    const passphrase = "correct horse battery staple";
    const gen = (name: string, pass: string) =>
        execFileSync("ssh-keygen", [
            "-q",
            "-t",
            "ed25519",
            "-N",
            pass,
            "-C",
            `hcp-test-${name}`,
            "-f",
            path.join(dir, name),
        ]);
    gen("client", "");
    gen("encrypted", passphrase);
    gen("stranger", "");
    const authorized = path.join(dir, "authorized_keys");
    fs.writeFileSync(
        authorized,
        fs.readFileSync(path.join(dir, "client.pub"), "utf8") +
            fs.readFileSync(path.join(dir, "encrypted.pub"), "utf8"),
    );
    const keys = {
        dir,
        privateKey: fs.readFileSync(path.join(dir, "client"), "utf8"),
        publicKey: fs.readFileSync(path.join(dir, "client.pub"), "utf8").trim(),
        encryptedKey: fs.readFileSync(path.join(dir, "encrypted"), "utf8"),
        passphrase,
        strangerKey: fs.readFileSync(path.join(dir, "stranger"), "utf8"),
        authorizedKeysFile: authorized,
    };
    // every later stack scan of this process searches for them
    registeredSecrets.add(`ssh client key of a test host lab (${path.basename(dir)})`, keys.privateKey);
    registeredSecrets.add(`encrypted ssh client key of a test host lab (${path.basename(dir)})`, keys.encryptedKey);
    registeredSecrets.add(`unauthorized ssh client key of a test host lab (${path.basename(dir)})`, keys.strangerKey);
    return keys;
}

export interface CreateOptions {
    /** A non-root login user to create (the returned TestHost logs in as this user). */
    user?: string;
    sudo?: boolean;
    /** Password for the user (root without `user`); also turns on sshd PasswordAuthentication. */
    password?: string;
}

/** Drives lab/worker-hosts.sh for one test file. */
export class HostLab {
    readonly keys: ClientKeys;
    private readonly created = new Set<string>();

    constructor(keys?: ClientKeys) {
        this.keys = keys ?? makeClientKeys();
    }

    async create(name: string, ip: string, o: CreateOptions = {}): Promise<TestHost> {
        const args = ["create", name, ip, this.keys.authorizedKeysFile];
        if (o.user) args.push("--user", o.user, "--sudo", o.sudo ? "yes" : "no");
        if (o.password) {
            const f = path.join(this.keys.dir, `password-${name}`);
            fs.writeFileSync(f, o.password + "\n", { mode: 0o600 });
            args.push("--password-file", f, "--password-auth", "yes");
        }
        this.created.add(name);
        const { stdout } = await run("bash", [hostsScript, ...args]);
        const hostKey = stdout.trim().split("\n").pop()!.trim();
        return { name, address: ip, port: 22, user: o.user ?? "root", privateKey: this.keys.privateKey, hostKey };
    }

    /** Adds a login user to a running host. */
    async addUser(name: string, user: string, sudo: boolean): Promise<void> {
        await run("bash", [hostsScript, "adduser", name, user, "--sudo", sudo ? "yes" : "no"]);
    }

    /** Runs argv inside the host's namespaces (as root, on the machine side: no SSH). */
    async exec(name: string, argv: string[], input?: string): Promise<string> {
        return (await run("bash", [hostsScript, "exec", name, "--", ...argv], input)).stdout;
    }

    /** Runs a shell snippet inside the host. */
    async sh(name: string, script: string, input?: string): Promise<string> {
        return this.exec(name, ["bash", "-c", script], input);
    }

    async writeFile(name: string, file: string, content: string, mode = "0644"): Promise<void> {
        // Write a temp file and rename it over the target: a symlink at the target is replaced, not
        // followed (it could lead out of the host's private directories onto the machine).
        await this.exec(
            name,
            [
                "sh",
                "-c",
                'mkdir -p "$(dirname "$1")" && t=$(mktemp "$1.XXXXXX") && cat > "$t" && chmod "$2" "$t" && mv -f "$t" "$1"',
                "sh",
                file,
                mode,
            ],
            content,
        );
    }

    async readFile(name: string, file: string): Promise<string | undefined> {
        const out = await this.sh(
            name,
            `if [ -e ${JSON.stringify(file)} ]; then echo -n Y; cat ${JSON.stringify(file)}; else echo -n N; fi`,
        );
        return out.startsWith("Y") ? out.slice(1) : undefined;
    }

    /** Kills every process of the host except the sshd listener: open SSH connections drop. */
    async dropSessions(name: string): Promise<void> {
        await run("bash", [hostsScript, "drop-sessions", name]);
    }

    /**
     * Gives a running host a new SSH host key, as a reinstall (or an impostor) would, and returns its
     * public key line; restoreHostKey puts the previous key back.
     */
    async replaceHostKey(name: string): Promise<string> {
        const d = hostStateDir(name);
        for (const f of ["hostkey", "hostkey.pub"]) fs.renameSync(path.join(d, f), path.join(d, `${f}.previous`));
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path.join(d, "hostkey")]);
        return this.reloadHostKey(name);
    }

    async restoreHostKey(name: string): Promise<void> {
        const d = hostStateDir(name);
        for (const f of ["hostkey", "hostkey.pub"]) fs.renameSync(path.join(d, `${f}.previous`), path.join(d, f));
        await this.reloadHostKey(name);
    }

    /** sshd re-executes itself on SIGHUP and loads its key again; waits until it presents the key on disk. */
    private async reloadHostKey(name: string): Promise<string> {
        const d = hostStateDir(name);
        const want = fs.readFileSync(path.join(d, "hostkey.pub"), "utf8").split(" ").slice(0, 2).join(" ");
        const ip = fs.readFileSync(path.join(d, "ip"), "utf8").trim();
        process.kill(Number(fs.readFileSync(path.join(d, "sshd.pid"), "utf8").trim()), "SIGHUP");
        for (let i = 0; i < 100; i++) {
            const scan = await run("ssh-keyscan", ["-T", "2", "-t", "ed25519", ip]).catch(() => ({ stdout: "" }));
            if (scan.stdout.split("\n").some((l) => l.trim().endsWith(want))) return want;
            await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`sshd of host ${name} did not present its new host key within 20 s; see ${d}/sshd.log`);
    }

    async delete(name: string): Promise<void> {
        await run("bash", [hostsScript, "delete", name]);
        this.created.delete(name);
    }

    /** Deletes the hosts this lab created and the key directory. */
    async dispose(): Promise<void> {
        for (const n of [...this.created]) await this.delete(n).catch(() => undefined);
        fs.rmSync(this.keys.dir, { recursive: true, force: true });
    }

    /**
     * Installs stand-ins for `systemctl` and `modprobe` into the host's /usr/local/sbin (first on
     * PATH for root and sudo). They record every call in /var/log/hcp-standins.log and keep unit
     * state in /var/lib/hcp-standins/. Contract:
     *   systemctl daemon-reload                 -> 0
     *   systemctl enable|disable [--now] UNIT   -> marks enabled/disabled (+ started/stopped with --now)
     *   systemctl start|stop|restart UNIT       -> marks active/inactive
     *   systemctl is-enabled UNIT               -> prints enabled|disabled, exit 0|1
     *   systemctl is-active UNIT                -> prints active|inactive, exit 0|3
     *   modprobe MODULE                         -> 0 for modules listed in /etc/hcp-standins/modules-ok
     *                                              ("overlay" by default); else exit 1 "Module X not found"
     * If /etc/hcp-standins/pause-on-<tool> exists (tool = systemctl or modprobe), the stand-in touches
     * /run/hcp-standins-paused and sleeps until that file is removed (tests use it to cut connections
     * mid-preparation; see pauseAt / waitPaused / resume).
     */
    async installStandIns(name: string): Promise<void> {
        await this.writeFile(name, "/usr/local/sbin/systemctl", SYSTEMCTL_STANDIN, "0755");
        await this.writeFile(name, "/usr/local/sbin/modprobe", MODPROBE_STANDIN, "0755");
        await this.writeFile(name, "/etc/hcp-standins/modules-ok", "overlay\n", "0644");
    }

    /**
     * Stand-ins for the apt tool chain (apt-get, apt-mark, dpkg-query, curl, gpg) in the host's
     * /usr/local/sbin, so the "apt" package source runs without a network. A tiny package database
     * lives in /var/lib/hcp-standins/dpkg (PKG.version, PKG.hold). `apt-get install PKG=PATTERN`
     * records PATTERN with "*" made concrete ("1.34.4-*" -> "1.34.4-1.1", "1.7.27*" -> "1.7.27-1") and
     * copies PKG from `pool` (a directory visible in the host) to /usr/local/bin when it has one.
     */
    async installAptStandIns(name: string, pool: string): Promise<void> {
        await this.writeFile(name, "/usr/local/sbin/apt-get", APT_GET_STANDIN.replace("@POOL@", pool), "0755");
        await this.writeFile(name, "/usr/local/sbin/apt-mark", APT_MARK_STANDIN, "0755");
        await this.writeFile(name, "/usr/local/sbin/dpkg-query", DPKG_QUERY_STANDIN, "0755");
        await this.writeFile(name, "/usr/local/sbin/curl", CURL_STANDIN, "0755");
        await this.writeFile(name, "/usr/local/sbin/gpg", GPG_STANDIN, "0755");
        await this.sh(
            name,
            "mkdir -p /var/lib/hcp-standins/dpkg && for p in curl ca-certificates gnupg; do echo 1.0 > /var/lib/hcp-standins/dpkg/$p.version; done",
        );
    }

    /** Makes the next call of a stand-in tool on the host hang until resume(). */
    async pauseAt(name: string, tool: "systemctl" | "modprobe"): Promise<void> {
        await this.writeFile(name, `/etc/hcp-standins/pause-on-${tool}`, "");
    }

    /** Waits until a stand-in on the host is paused. */
    async waitPaused(name: string, timeoutMs = 30000): Promise<void> {
        const t0 = Date.now();
        while (Date.now() - t0 < timeoutMs) {
            if ((await this.sh(name, "[ -e /run/hcp-standins-paused ] && echo yes || true")).trim() === "yes") return;
            await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`no stand-in paused on ${name} within ${timeoutMs} ms`);
    }

    /** Stops pausing and lets a paused stand-in continue. */
    async resume(name: string): Promise<void> {
        await this.sh(name, "rm -f /etc/hcp-standins/pause-on-* /run/hcp-standins-paused");
    }

    /** The recorded stand-in calls on a host. */
    async standInCalls(name: string): Promise<string[]> {
        const log = (await this.readFile(name, "/var/log/hcp-standins.log")) ?? "";
        return log.split("\n").filter((l) => l !== "");
    }
}

/** How the systemctl and modprobe stand-ins start: they record the call, then wait while paused (pauseAt). */
const pausableStandIn = (tool: string) => `#!/bin/bash
# Test stand-in for ${tool} (tests/support/hosts.ts).
echo "${tool} $*" >> /var/log/hcp-standins.log
if [ -e /etc/hcp-standins/pause-on-${tool} ]; then
  touch /run/hcp-standins-paused
  while [ -e /run/hcp-standins-paused ]; do sleep 0.1; done
fi
`;

const SYSTEMCTL_STANDIN =
    pausableStandIn("systemctl") +
    `S=/var/lib/hcp-standins; mkdir -p "$S"
now=no; args=()
for a in "$@"; do
  case "$a" in --now) now=yes ;; --quiet|-q|--no-block) ;; *) args+=("$a") ;; esac
done
verb=\${args[0]:-}; units=("\${args[@]:1}")
unit() { local u=$1; [[ $u == *.* ]] || u=$u.service; echo "$u"; }
case "$verb" in
  daemon-reload) exit 0 ;;
  enable) for u in "\${units[@]}"; do touch "$S/$(unit "$u").enabled"; [ $now = yes ] && touch "$S/$(unit "$u").active"; done; exit 0 ;;
  disable) for u in "\${units[@]}"; do rm -f "$S/$(unit "$u").enabled"; [ $now = yes ] && rm -f "$S/$(unit "$u").active"; done; exit 0 ;;
  start|restart|reload|try-restart) for u in "\${units[@]}"; do touch "$S/$(unit "$u").active"; done; exit 0 ;;
  stop) for u in "\${units[@]}"; do rm -f "$S/$(unit "$u").active"; done; exit 0 ;;
  is-enabled) if [ -e "$S/$(unit "\${units[0]}").enabled" ]; then echo enabled; exit 0; else echo disabled; exit 1; fi ;;
  is-active) if [ -e "$S/$(unit "\${units[0]}").active" ]; then echo active; exit 0; else echo inactive; exit 3; fi ;;
  *) echo "systemctl stand-in: unsupported: $*" >&2; exit 1 ;;
esac
`;

const MODPROBE_STANDIN =
    pausableStandIn("modprobe") +
    `m=""
for a in "$@"; do case "$a" in -*) ;; *) m=$a; break ;; esac; done
if grep -qx "$m" /etc/hcp-standins/modules-ok 2>/dev/null; then exit 0; fi
echo "modprobe: FATAL: Module $m not found in directory /lib/modules/$(uname -r)" >&2
exit 1
`;

export interface BundleOptions {
    kubernetesVersion: string; // "1.34.4"
    containerdVersion?: string; // "1.7.27"; omit for a bundle without containerd
}

/**
 * Writes a package bundle of stand-in binaries (kubeadm, kubelet, kubectl reporting the version the
 * way the real ones do, plus containerd stand-ins) into dir, which must be visible inside the hosts
 * (not under /tmp: the hosts have their own). Returns dir.
 */
export function makeBundle(dir: string, o: BundleOptions): string {
    fs.mkdirSync(dir, { recursive: true });
    const v = o.kubernetesVersion;
    const files: Record<string, string> = {
        kubeadm: `#!/bin/sh\n# stand-in kubeadm\nif [ "$1" = version ]; then if [ "$2" = -o ] && [ "$3" = short ]; then echo v${v}; else echo 'kubeadm version: &version.Info{GitVersion:"v${v}"}'; fi; exit 0; fi\necho "kubeadm stand-in: $*" >&2; exit 1\n`,
        kubelet: `#!/bin/sh\n# stand-in kubelet\nif [ "$1" = --version ]; then echo "Kubernetes v${v}"; exit 0; fi\nexec sleep infinity\n`,
        kubectl: `#!/bin/sh\n# stand-in kubectl\nif [ "$1" = version ]; then echo "Client Version: v${v}"; echo "Kustomize Version: v5.7.1"; exit 0; fi\nexit 1\n`,
    };
    if (o.containerdVersion) {
        const cv = o.containerdVersion;
        files.containerd = `#!/bin/sh\n# stand-in containerd\nif [ "$1" = --version ]; then echo "containerd github.com/containerd/containerd v${cv} 0123456789abcdef"; exit 0; fi\nexec sleep infinity\n`;
        files["containerd-shim-runc-v2"] = "#!/bin/sh\n# stand-in shim\nexit 0\n";
        files.ctr = `#!/bin/sh\n# stand-in ctr\necho "ctr github.com/containerd/containerd v${cv}"\n`;
        files.runc = "#!/bin/sh\n# stand-in runc\necho 'runc version 1.2.6'\n";
    }
    for (const [n, c] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), c, { mode: 0o755 });
    return dir;
}

const APT_GET_STANDIN = `#!/bin/bash
# Test stand-in for apt-get (tests/support/hosts.ts).
echo "apt-get $*" >> /var/log/hcp-standins.log
D=/var/lib/hcp-standins/dpkg; POOL='@POOL@'; mkdir -p "$D"
cmd=""; pkgs=(); held_ok=no
for a in "$@"; do
  case "$a" in
    --allow-change-held-packages) held_ok=yes ;;
    -*) ;;
    update|install|remove|purge) if [ -z "$cmd" ]; then cmd=$a; else pkgs+=("$a"); fi ;;
    *) pkgs+=("$a") ;;
  esac
done
case "$cmd" in
  update) exit 0 ;;
  install)
    for p in "\${pkgs[@]}"; do
      n=\${p%%=*}; v=1.0
      if [[ $p == *=* ]]; then v=\${p#*=}; if [[ $v == *-\\* ]]; then v=\${v%\\*}1.1; else v=\${v%\\*}-1; fi; fi
      if [ -e "$D/$n.hold" ] && [ $held_ok = no ]; then echo "E: Held packages were changed and -y was used without --allow-change-held-packages." >&2; exit 100; fi
      echo "$v" > "$D/$n.version"
      if [ -f "$POOL/$n" ]; then install -m 755 "$POOL/$n" "/usr/local/bin/$n"; fi
    done ;;
  remove|purge)
    for p in "\${pkgs[@]}"; do rm -f "$D/$p.version" "$D/$p.hold" "/usr/local/bin/$p"; done ;;
  *) echo "apt-get stand-in: unsupported: $*" >&2; exit 100 ;;
esac
`;

const APT_MARK_STANDIN = `#!/bin/bash
# Test stand-in for apt-mark (tests/support/hosts.ts).
echo "apt-mark $*" >> /var/log/hcp-standins.log
D=/var/lib/hcp-standins/dpkg; mkdir -p "$D"
verb=$1; shift
case "$verb" in
  hold) for p in "$@"; do [ -e "$D/$p.version" ] || { echo "E: Unable to locate package $p" >&2; exit 100; }; touch "$D/$p.hold"; echo "$p set on hold."; done ;;
  unhold) for p in "$@"; do rm -f "$D/$p.hold"; done ;;
  showhold) for f in "$D"/*.hold; do [ -e "$f" ] && basename "$f" .hold; done; exit 0 ;;
  *) exit 100 ;;
esac
`;

const DPKG_QUERY_STANDIN = `#!/bin/bash
# Test stand-in for dpkg-query -W -f=FORMAT PACKAGE (tests/support/hosts.ts).
D=/var/lib/hcp-standins/dpkg; fmt='\${Version}'; pkg=""
while [ $# -gt 0 ]; do
  case "$1" in
    -W) ;;
    -f) fmt=$2; shift ;;
    -f=*|--showformat=*) fmt=\${1#*=} ;;
    *) pkg=$1 ;;
  esac
  shift
done
[ -e "$D/$pkg.version" ] || { echo "dpkg-query: no packages found matching $pkg" >&2; exit 1; }
out=\${fmt//'\${Version}'/$(cat "$D/$pkg.version")}
out=\${out//'\${Status}'/install ok installed}
printf '%s' "$out"
`;

const CURL_STANDIN = `#!/bin/bash
# Test stand-in for curl: no network; "downloads" a fake key (tests/support/hosts.ts).
echo "curl $*" >> /var/log/hcp-standins.log
out=""
while [ $# -gt 0 ]; do case "$1" in -o) out=$2; shift ;; esac; shift; done
key="-----BEGIN PGP PUBLIC KEY BLOCK-----
stand-in
-----END PGP PUBLIC KEY BLOCK-----"
if [ -n "$out" ]; then echo "$key" > "$out"; else echo "$key"; fi
`;

const GPG_STANDIN = `#!/bin/bash
# Test stand-in for gpg --dearmor -o FILE (tests/support/hosts.ts).
echo "gpg $*" >> /var/log/hcp-standins.log
out=""
while [ $# -gt 0 ]; do case "$1" in -o|--output) out=$2; shift ;; esac; shift; done
if [ -n "$out" ]; then cat > "$out"; else cat; fi
`;
