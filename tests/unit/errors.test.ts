// Errors that fail an Output are logged on their resource in an Automation API (inline) run, once,
// so the run fails even when the SDK stopped listening for the rejection before it came. Checks
// that throw in a constructor are not logged: the program's own failure reports them. Inspecting
// one (the SDK does, for its trace) gives its message.
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { inspect } from "util";
import { checkedOn, outputError, rejectIfInvalid, throwIfInvalid, ValidationError } from "../../components/errors";

describe("component errors in an inline run (this mocha process is not the language host's run script)", () => {
    const logged: { message: string; resource?: pulumi.Resource }[] = [];
    const realError = pulumi.log.error;
    const resource = {} as pulumi.Resource;
    const problem = { propertyPath: "kubernetesVersion", reason: "cannot go down" };

    beforeEach(() => {
        logged.length = 0;
        (pulumi.log as any).error = (message: string, res?: pulumi.Resource) => {
            logged.push({ message, resource: res });
            return Promise.resolve();
        };
    });
    afterEach(() => ((pulumi.log as any).error = realError));

    it("rejectIfInvalid logs the error on its resource and throws it", () => {
        let thrown: unknown;
        try {
            rejectIfInvalid("HostedControlPlane team", [problem], resource);
        } catch (e) {
            thrown = e;
        }
        expect(thrown).to.be.instanceOf(ValidationError);
        expect(logged).to.have.length(1);
        expect(logged[0].message).to.equal((thrown as Error).message);
        expect(logged[0].message).to.include("kubernetesVersion: cannot go down");
        expect(logged[0].resource).to.equal(resource);
    });

    it("rejectIfInvalid with no problems neither logs nor throws", () => {
        rejectIfInvalid("HostedControlPlane team", [], resource);
        expect(logged).to.have.length(0);
    });

    it("checkedOn logs a check's failure once, also when it rethrows an error already logged", async () => {
        const err = outputError("HostedControlPlane team", [problem], resource);
        expect(logged).to.have.length(1);
        const again = await checkedOn(resource, "HostedControlPlane team", "kubernetesVersion", () => {
            throw err;
        }).catch((e) => e);
        expect(again).to.equal(err);
        expect(logged).to.have.length(1);

        const plain = await checkedOn(resource, "HostedControlPlane team", "kubeconfig", () => {
            throw new Error("kubeconfig: is not valid YAML");
        }).catch((e) => e);
        expect(plain).to.be.instanceOf(ValidationError);
        expect(logged).to.have.length(2);
        expect(logged[1].message).to.include("  - kubeconfig: is not valid YAML");
    });

    it("util.inspect shows the error's message, not the component resource it carries", () => {
        const owner = { name: "team", children: Array.from({ length: 50 }, (_, i) => ({ i })) };
        const err = new ValidationError("HostedControlPlane team", [problem], owner as unknown as pulumi.Resource);
        expect(err.resource).to.equal(owner);
        expect(inspect(err)).to.equal(`ValidationError: ${err.message}`);
        expect(inspect(err, { colors: true })).to.equal(`ValidationError: ${err.message}`);
    });

    it("throwIfInvalid (a constructor's check) throws without logging", () => {
        expect(() => throwIfInvalid("WorkerPool pool", [problem], resource)).to.throw(ValidationError);
        expect(logged).to.have.length(0);
    });
});
