/** A small RFC 6902 JSON Patch, for the TCP's kubelet configuration patches (see ./bootstrap.ts). */

export interface JsonPatchOp {
    op: "add" | "remove" | "replace" | "move" | "copy" | "test";
    path: string;
    value?: unknown;
    from?: string;
}

function decodePointer(p: string, property: string): string[] {
    if (p === "") return [];
    if (!p.startsWith("/")) throw new Error(`${property}: path "${p}" must be a JSON pointer starting with "/"`);
    return p
        .slice(1)
        .split("/")
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** A small RFC 6902 implementation (add, remove, replace, move, copy, test) over plain JSON values. */
export function applyJsonPatch<T>(doc: T, ops: JsonPatchOp[], property = "patch"): T {
    let root: any = JSON.parse(JSON.stringify(doc));
    const parentOf = (tokens: string[]) => {
        let cur = root;
        for (const t of tokens.slice(0, -1)) {
            if (cur === null || typeof cur !== "object" || !(t in cur))
                throw new Error(`${property}: path /${tokens.join("/")} does not exist`);
            cur = cur[t];
        }
        return cur;
    };
    const get = (tokens: string[]) => {
        let cur = root;
        for (const t of tokens) {
            if (cur === null || typeof cur !== "object" || !(t in cur))
                throw new Error(`${property}: path /${tokens.join("/")} does not exist`);
            cur = cur[t];
        }
        return cur;
    };
    const remove = (tokens: string[]) => {
        const parent = parentOf(tokens);
        const last = tokens[tokens.length - 1];
        const v = get(tokens);
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
        return v;
    };
    const add = (tokens: string[], value: unknown) => {
        if (tokens.length === 0) {
            root = value;
            return;
        }
        const parent = parentOf(tokens);
        const last = tokens[tokens.length - 1];
        if (Array.isArray(parent)) {
            if (last === "-") parent.push(value);
            else parent.splice(Number(last), 0, value);
        } else parent[last] = value;
    };
    for (const [i, op] of ops.entries()) {
        const where = `${property}[${i}]`;
        const tokens = decodePointer(op.path, where);
        switch (op.op) {
            case "add":
                add(tokens, op.value);
                break;
            case "remove":
                remove(tokens);
                break;
            case "replace":
                get(tokens);
                remove(tokens);
                add(tokens, op.value);
                break;
            case "move":
                add(tokens, remove(decodePointer(op.from ?? "", where)));
                break;
            case "copy":
                add(tokens, JSON.parse(JSON.stringify(get(decodePointer(op.from ?? "", where)))));
                break;
            case "test":
                if (JSON.stringify(get(tokens)) !== JSON.stringify(op.value))
                    throw new Error(`${where}: test of ${op.path} failed`);
                break;
            default:
                throw new Error(
                    `${where}: op "${(op as JsonPatchOp).op}" is not one of add, remove, replace, move, copy, test`,
                );
        }
    }
    return root as T;
}
