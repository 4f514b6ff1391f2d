// Searches what the tests wrote (state files, logs, preview and update text, process lists) for the
// real secret values they used, and names each place one occurs by a label, never by the value:
//
//   const secrets = new SecretSet();
//   secrets.add("ssh private key of the lab", key);
//   const hits = scanPaths(secrets, [backendDir]);   // [{ where: ".../test.json", label: "...", form: "as is" }]
//
// A secret is found as it is, base64-encoded (at any alignment, so also inside a larger base64 blob),
// and, for a PEM key, by its private numbers in base64 (so a re-wrapped, re-headed or converted key
// is still found, while the public part every certificate shows is not searched for).
// Whitespace and JSON's \n, \r, \t escapes are ignored on both sides: a key re-wrapped or stored as a
// JSON string matches as well.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

export interface Secret {
    /** What the value is, for messages: "ssh private key of the lab". Never the value itself. */
    label: string;
    value: string;
}

export interface Hit {
    /** A file path, or the name of a text ("preview output", "process list"). */
    where: string;
    label: string;
    /** How it was found: "as is", "base64", "key material" (a private key's private numbers). */
    form: string;
}

/** Values shorter than this are not searched: they would match by chance. */
const MIN_LENGTH = 8;

const PEM_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----([\s\S]*?)-----END \1PRIVATE KEY-----/g;

/** Whitespace and JSON escapes out: what is compared on both sides. */
export function normalize(text: string): string {
    return text.replace(/\\[nrt]/g, "").replace(/\s+/g, "");
}

/** A set of secret values with labels; the first label given for a value is kept. */
export class SecretSet {
    /** By the value as compared (normalized): a key with or without its last newline is one secret. */
    private readonly byValue = new Map<string, Secret>();

    add(label: string, value: string | undefined): this {
        if (typeof value !== "string") return this;
        const key = normalize(value);
        if (key.length >= MIN_LENGTH && !this.byValue.has(key)) this.byValue.set(key, { label, value });
        return this;
    }

    addAll(other: SecretSet | Secret[]): this {
        for (const s of other instanceof SecretSet ? other.list() : other) this.add(s.label, s.value);
        return this;
    }

    /**
     * Adds what in `text` is secret by its shape: PEM private keys, a kubeconfig's client keys,
     * tokens and passwords, bootstrap token secrets, passwords in URLs. `key` is the name the text
     * was stored under (a field named password, token, … is a secret as a whole).
     */
    addShapes(label: string, text: string, key = ""): this {
        for (const m of text.matchAll(PEM_KEY)) this.add(`${label}: ${m[1].toLowerCase()}private key`, m[0]);
        if (/\busers:/.test(text) && /\bclusters:/.test(text)) {
            let doc: any;
            try {
                doc = yaml.load(text);
            } catch {
                doc = undefined;
            }
            for (const u of Array.isArray(doc?.users) ? doc.users : []) {
                const user = u?.user ?? {};
                const who = `${label}: kubeconfig user ${u?.name ?? "?"}`;
                if (typeof user["client-key-data"] === "string") {
                    const pem = Buffer.from(user["client-key-data"], "base64").toString("utf8");
                    this.add(`${who} client key`, pem);
                    this.add(`${who} client key (base64)`, user["client-key-data"]);
                }
                this.add(`${who} token`, user.token);
                if (typeof user.token === "string") this.addShapes(`${who} token`, user.token);
                this.add(`${who} password`, user.password);
            }
        }
        const token = /^\s*[a-z0-9]{6}\.([a-z0-9]{16})\s*$/.exec(text);
        if (token) this.add(`${label}: bootstrap token secret`, token[1]);
        for (const m of text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/([^\s/@:"']+):([^\s/@"']+)@[^\s"']*/gi)) {
            this.add(`${label}: password in a URL`, m[2]);
            this.add(`${label}: URL with credentials`, m[0]);
        }
        // a Kubernetes Secret's data: base64 of what may be any of the above
        if (/^[A-Za-z0-9+/]{16,}={0,2}$/.test(text.trim()) && !key.startsWith("base64 of ")) {
            const decoded = Buffer.from(text.trim(), "base64").toString("utf8");
            if (!decoded.includes("\ufffd")) this.addShapes(`${label} (base64)`, decoded, `base64 of ${key}`);
        }
        if (/^(password|passphrase|token|secret|privateKey|registryPassword|url)$/i.test(key))
            this.add(`${label}`, text);
        return this;
    }

    list(): Secret[] {
        return [...this.byValue.values()];
    }

    get size(): number {
        return this.byValue.size;
    }
}

/** The base64 encodings of `bytes` at each alignment in a longer stream, trimmed to what is fixed. */
function base64Forms(bytes: Buffer): string[] {
    const out: string[] = [];
    for (let shift = 0; shift < 3; shift++) {
        const b64 = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64");
        // the first group holds the shifted-in bytes; the last one depends on what follows
        const start = shift === 0 ? 0 : 4;
        const end = (shift + bytes.length) % 3 === 0 ? b64.length : b64.length - 4;
        const core = b64.slice(start, end);
        if (core.length >= 12) out.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"));
    }
    return [...new Set(out)];
}

/**
 * The private numbers of a PEM key (RSA d, p, q, …; EC and Ed25519 d): found inside any DER or
 * base64 encoding of the key, whatever its header, wrapping or format. Never its public part,
 * which certificates and authorized_keys files hold in the open.
 */
function privateParts(pem: string): Buffer[] {
    try {
        const jwk = crypto.createPrivateKey(pem).export({ format: "jwk" }) as Record<string, string>;
        return ["d", "p", "q", "dp", "dq", "qi"].filter((k) => jwk[k]).map((k) => Buffer.from(jwk[k], "base64url"));
    } catch {
        // OpenSSH's own format: the private section (after the public keys); of an Ed25519 key, its seed
        const body = Buffer.from(pem.replace(/-----[^-]+-----/g, ""), "base64");
        const magic = Buffer.from("openssh-key-v1\0");
        if (!body.subarray(0, magic.length).equals(magic)) return [];
        let at = magic.length;
        const str = () => {
            const n = body.readUInt32BE(at);
            const v = body.subarray(at + 4, at + 4 + n);
            at += 4 + n;
            return v;
        };
        try {
            const cipher = str().toString();
            str(); // kdf name
            str(); // kdf options
            const keys = body.readUInt32BE(at);
            at += 4;
            for (let i = 0; i < keys; i++) str();
            const priv = str();
            if (cipher !== "none") return [priv];
            at = 0;
            const section = priv;
            const rd = () => {
                const n = section.readUInt32BE(at);
                const v = section.subarray(at + 4, at + 4 + n);
                at += 4 + n;
                return v;
            };
            at = 8; // two check words
            const type = rd().toString();
            if (type === "ssh-ed25519") {
                rd(); // public key
                return [rd().subarray(0, 32)];
            }
            return [priv];
        } catch {
            return [];
        }
    }
}

interface Needle {
    label: string;
    form: string;
    text: string;
}

function needlesOf(s: Secret): Needle[] {
    const out: Needle[] = [{ label: s.label, form: "as is", text: normalize(s.value) }];
    for (const b of base64Forms(Buffer.from(s.value, "utf8"))) out.push({ label: s.label, form: "base64", text: b });
    for (const m of s.value.matchAll(PEM_KEY))
        for (const part of privateParts(m[0]))
            for (const b of base64Forms(part)) out.push({ label: s.label, form: "key material", text: b });
    return out.filter((n) => n.text.length >= MIN_LENGTH);
}

/** A compiled search for a set of secrets. */
export class Scanner {
    private readonly needles: Needle[];

    constructor(secrets: SecretSet | Secret[]) {
        const list = secrets instanceof SecretSet ? secrets.list() : secrets;
        this.needles = list.flatMap(needlesOf);
    }

    /** Every secret found in `text`, one hit per secret (its first form found). */
    text(where: string, text: string): Hit[] {
        const hay = normalize(text);
        const hits: Hit[] = [];
        const seen = new Set<string>();
        for (const n of this.needles) {
            if (seen.has(n.label) || !hay.includes(n.text)) continue;
            seen.add(n.label);
            hits.push({ where, label: n.label, form: n.form });
        }
        return hits;
    }

    /** Every file under `paths` (files or directories, followed recursively; missing ones skipped). */
    paths(paths: string[]): Hit[] {
        const hits: Hit[] = [];
        for (const f of paths.flatMap(filesUnder)) {
            let text: string;
            try {
                text = fs.readFileSync(f, "latin1");
            } catch {
                continue; // gone meanwhile (a lock file)
            }
            hits.push(...this.text(f, text));
        }
        return hits;
    }
}

function filesUnder(p: string): string[] {
    let st: fs.Stats;
    try {
        st = fs.lstatSync(p);
    } catch {
        return [];
    }
    if (st.isDirectory()) return fs.readdirSync(p).flatMap((e) => filesUnder(path.join(p, e)));
    return st.isFile() ? [p] : [];
}

/** One line per hit, naming the place and the secret by its label. */
export function formatHits(hits: Hit[]): string {
    return hits.map((h) => `${h.where}: ${h.label} (${h.form})`).join("\n");
}

/**
 * The command lines of every process the machine has (the lab hosts run in the same PID
 * namespace), from /proc, in full (`ps` may truncate).
 */
export function commandLines(): string[] {
    const out: string[] = [];
    for (const pid of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(pid)) continue;
        try {
            const raw = fs.readFileSync(`/proc/${pid}/cmdline`, "latin1");
            if (raw) out.push(raw.replace(/\0+$/, "").replace(/\0/g, " "));
        } catch {
            // the process ended meanwhile
        }
    }
    return out;
}

/** Collects the distinct command lines of the machine's processes while it runs. */
export class ProcessSampler {
    readonly lines = new Set<string>();
    private timer: NodeJS.Timeout | undefined;
    private running = 0;

    sample(): void {
        for (const l of commandLines()) this.lines.add(l);
    }

    /** Starts sampling every `intervalMs` (nested starts count; each needs its stop). */
    start(intervalMs = 200): void {
        if (this.running++ > 0) return;
        this.sample();
        this.timer = setInterval(() => this.sample(), intervalMs);
        this.timer.unref();
    }

    stop(): void {
        if (--this.running > 0) return;
        this.running = 0;
        if (this.timer) clearInterval(this.timer);
        this.timer = undefined;
        this.sample();
    }

    text(): string {
        return [...this.lines].join("\n");
    }
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/**
 * The secrets a stack holds: what its state (as `stack.exportStack()` gives it, secrets decrypted)
 * keeps inside secret envelopes, by shape (see {@link SecretSet.addShapes}).
 */
export function secretsInState(label: string, deployment: unknown): SecretSet {
    const out = new SecretSet();
    let resource = "";
    const walk = (x: unknown, where: string, key: string, inSecret: boolean): void => {
        if (typeof x === "string") {
            if (inSecret) out.addShapes(`${label} ${resource} ${where}`, x, key);
        } else if (Array.isArray(x)) {
            x.forEach((v) => walk(v, where, key, inSecret));
        } else if (x && typeof x === "object") {
            const o = x as Record<string, unknown>;
            if (SECRET_SIG in o) {
                let v: unknown = o.value ?? o.plaintext;
                if (typeof o.plaintext === "string") {
                    try {
                        v = JSON.parse(o.plaintext);
                    } catch {
                        v = o.plaintext;
                    }
                }
                walk(v, where, key, true);
                return;
            }
            for (const [k, v] of Object.entries(o)) {
                // the dynamic provider's serialized code: what secret it captured is an input too
                if (k !== "__provider") walk(v, where ? `${where}.${k}` : k, k, inSecret);
            }
        }
    };
    const resources: any[] = (deployment as any)?.deployment?.resources ?? [];
    for (const r of resources) {
        resource =
            String(r.urn ?? "")
                .split("::")
                .pop() ?? "";
        walk({ inputs: r.inputs, outputs: r.outputs }, "", "", false);
    }
    return out;
}

/**
 * The lab's own secrets, from its description (lab/lab up writes lab.json): the SSH private key
 * of its hosts, the DataStore's CA and root client keys, the management cluster's keys (admin
 * client and the rest of its PKI) and its kubeconfig's credentials. None when there is no lab.
 */
export function labSecrets(labFile: string): SecretSet {
    const out = new SecretSet();
    if (!fs.existsSync(labFile)) return out;
    const lab = JSON.parse(fs.readFileSync(labFile, "utf8"));
    const read = (p: string | undefined) => (p && fs.existsSync(p) ? fs.readFileSync(p, "utf8") : undefined);
    out.add("ssh private key of the lab", read(lab.sshPrivateKey));
    out.add("DataStore CA key of the lab (etcd)", read(lab.dataStore?.caPrivateKey));
    out.add("DataStore root client key of the lab (etcd)", read(lab.dataStore?.clientPrivateKey));
    const pki = path.join(path.dirname(labFile), "management", "pki");
    out.add("management admin client key of the lab", read(path.join(pki, "admin.key")));
    if (fs.existsSync(pki))
        for (const f of fs
            .readdirSync(pki)
            .filter((f) => f.endsWith(".key"))
            .sort())
            out.add(`management ${f} of the lab`, read(path.join(pki, f)));
    const kubeconfig = read(lab.managementKubeconfig);
    if (kubeconfig) out.addShapes("management kubeconfig of the lab", kubeconfig);
    return out;
}

/** Secrets a test made and registers for every later scan of this process (keys it generated, passwords). */
export const registeredSecrets = new SecretSet();
