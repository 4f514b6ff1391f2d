// The comparable state of a PreparedHost (what diff.ts compares), read from new inputs or from
// stored outputs, the older states among them.
import type { PublicConnection, SecretConnection } from "./connection";
import { splitConnection } from "./connection";
import type { NormalizedPrep, ReusePolicy } from "./inputs";
import { normalizePrep } from "./normalize";
import type { PreparedHostOutputs } from "./outputs";

export interface Comparable {
    connection: PublicConnection;
    connectionSecrets: SecretConnection;
    prep: NormalizedPrep;
    reusePolicy: ReusePolicy;
}

/** From new inputs, defaults applied; throws on invalid input. */
export function fromInputs(news: any): Comparable {
    const { pub, sec } = splitConnection(news.connection);
    return {
        connection: pub,
        connectionSecrets: sec,
        prep: normalizePrep(news),
        reusePolicy: news.reusePolicy ?? "retain",
    };
}

/** From stored outputs, including states written before a field existed. */
export function fromOutputs(olds: PreparedHostOutputs): Comparable {
    return {
        connection: olds.connection,
        connectionSecrets: olds.secrets?.connection ?? {},
        prep: {
            kubernetesVersion: olds.kubernetesVersion,
            containerd: {
                cgroupDriver: "systemd",
                restrictOOMScoreAdj: false,
                ...olds.containerd,
                registryCredentials: olds.secrets?.registryCredentials ?? {},
            },
            // States written before the URL moved to `secrets` hold it in packageSource.
            packageSource: olds.secrets?.packageSourceUrl
                ? ({ ...olds.packageSource, url: olds.secrets.packageSourceUrl } as NormalizedPrep["packageSource"])
                : olds.packageSource,
        },
        reusePolicy: olds.reusePolicy ?? "retain",
    };
}

/** Where the host is, for ids and messages. */
export function where(c: Comparable): string {
    return `${c.connection.address}:${c.connection.port}`;
}
