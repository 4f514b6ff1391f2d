// Kubernetes versions (model/version.ts): the one grammar, the comparison, and the one rule for a
// version change, worded for a control plane and for a node.
import { expect } from "chai";
import {
    compareKubernetesVersions,
    parseKubernetesVersion,
    parseRecordedVersion,
    versionProblem,
    versionStepProblem,
} from "../../model/version";

describe("model: Kubernetes versions", () => {
    const formats: [unknown, string | undefined][] = [
        ["v1.33.4", undefined],
        ["v1.0.0", undefined],
        ["1.33.4", 'must start with "v" (Kamaji and kubeadm expect "v1.33.4"); write "v1.33.4"'],
        ["v1.33", 'must name a patch release, e.g. "v1.33.0"'],
        ["1.33", 'must name a patch release, e.g. "v1.33.0"'],
        ["v1.33.4-rc.1", 'must be a Kubernetes release "vMAJOR.MINOR.PATCH" such as "v1.33.4"; got "v1.33.4-rc.1"'],
        ["latest", 'must be a Kubernetes release "vMAJOR.MINOR.PATCH" such as "v1.33.4"; got "latest"'],
        ["", 'is required: a Kubernetes release such as "v1.33.4"'],
        [undefined, 'is required: a Kubernetes release such as "v1.33.4"'],
    ];
    for (const [v, want] of formats) {
        it(`versionProblem(${JSON.stringify(v)})`, () => expect(versionProblem(v)).to.equal(want));
    }

    const changes: [string, string, string | undefined][] = [
        ["v1.33.4", "v1.33.4", undefined],
        ["v1.33.4", "v1.33.5", undefined],
        ["v1.33.4", "v1.34.0", undefined],
        ["v1.33.4", "v1.34.9", undefined],
        [
            "v1.33.4",
            "v1.33.3",
            "cannot go from v1.33.4 down to v1.33.3: Kubernetes control planes cannot be downgraded; keep v1.33.4 (or a later patch), or recreate the tenant",
        ],
        [
            "v1.33.4",
            "v1.32.9",
            "cannot go from v1.33.4 down to v1.32.9: Kubernetes control planes cannot be downgraded; keep v1.33.4 (or a later patch), or recreate the tenant",
        ],
        [
            "v1.33.4",
            "v1.35.0",
            "cannot go from v1.33.4 to v1.35.0 in one step: upgrade one minor version at a time; set v1.34.x first, apply, then continue",
        ],
        ["v1.33.4", "v2.0.0", "cannot go from v1.33.4 to v2.0.0: a major version change is not a supported upgrade"],
        ["garbage", "v1.33.0", undefined],
    ];
    for (const [prev, next, want] of changes) {
        it(`versionStepProblem(${prev} -> ${next}, control plane)`, () =>
            expect(versionStepProblem(prev, next, "control plane")).to.equal(want));
    }

    const parsed: [unknown, string | undefined][] = [
        ["v1.30.2", "1.30.2"],
        ["v10.0.1", "10.0.1"],
        ["v1.030.2", undefined],
        ["v1.30.2-rc.0", undefined],
        ["v1.30.2+build", undefined],
        [" v1.30.2", undefined],
        ["1.30.2", undefined],
        ["V1.30.2", undefined],
        [130, undefined],
    ];
    for (const [s, want] of parsed) {
        it(`parseKubernetesVersion(${JSON.stringify(s)}) is ${want ?? "refused"}`, () => {
            const v = parseKubernetesVersion(s);
            expect(v ? `${v.major}.${v.minor}.${v.patch}` : undefined).to.equal(want);
        });
    }

    it("parseRecordedVersion also reads the package version the host preparation records", () => {
        expect(parseRecordedVersion("1.34.4")).to.deep.equal({ major: 1, minor: 34, patch: 4 });
        expect(parseRecordedVersion("v1.34.4")).to.deep.equal({ major: 1, minor: 34, patch: 4 });
        expect(parseRecordedVersion("1.34")).to.equal(undefined);
        expect(parseRecordedVersion(undefined)).to.equal(undefined);
    });

    it("compares releases by major, minor, then patch", () => {
        const v = (s: string) => parseKubernetesVersion(s)!;
        expect(compareKubernetesVersions(v("v1.29.15"), v("v1.30.2"))).to.be.below(0);
        expect(compareKubernetesVersions(v("v1.30.10"), v("v1.30.9"))).to.be.above(0);
        expect(compareKubernetesVersions(v("v2.0.0"), v("v1.99.99"))).to.be.above(0);
        expect(compareKubernetesVersions(v("v1.30.2"), v("v1.30.2"))).to.equal(0);
    });

    it("words a node's downgrade with a node's fix; the other steps alike for both", () => {
        expect(versionStepProblem("v1.30.2", "v1.29.15", "node")).to.equal(
            "cannot go from v1.30.2 down to v1.29.15: kubeadm cannot downgrade a node; keep v1.30.2 (or a later patch), or remove the host from the pool and add it again",
        );
        for (const [a, b] of [
            ["v1.29.15", "v1.31.0"],
            ["v1.30.2", "v2.0.0"],
        ])
            expect(versionStepProblem(a, b, "node")).to.equal(versionStepProblem(a, b, "control plane"));
        expect(versionStepProblem("v1.29.15", "v1.30.2", "node")).to.equal(undefined);
    });
});
